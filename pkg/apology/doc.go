// Package apology checks an apology for excuses and canned regret, the
// things that make a customer stop reading: blame-shifting ("our provider",
// "another team", "circumstances beyond our control", "due to an issue
// with..."), stock phrases ("we apologize for any inconvenience", "really
// sorry that you had to experience that", "we value your business"),
// passive voice that hides who did it ("mistakes were made", "an error
// occurred") and hedging ("may have experienced", "some users", "a small
// number of"). A text of nothing but white space is a finding of its own
// (KindEmpty): nothing to send is not a clean apology.
//
// It is pure: Check takes the text and the rules and returns findings; the
// CLI reads files, prints and sets the exit status.
//
// # Using it
//
//	rules := apology.DefaultRules()
//	// optionally: _ = v.UnmarshalKey("apology.rules", &rules) and rules.Validate()
//	findings := apology.Check(text, rules)
//	for _, f := range findings {
//		fmt.Println(f) // "3:12: blame-shifting: our provider — say what happened and that it is yours to fix"
//	}
//	// `apology check` exits 1 when len(findings) > 0, 0 when clean.
//
// Findings are sorted by position. Line and Col are 1-based; Col counts
// runes, not bytes, and a leading byte-order mark is not counted. Phrase is
// the text as found, with runs of whitespace (line breaks included) shown as
// one space so a finding stays on one line.
//
// # Patterns
//
// A Phrase's Pattern is words, matched case-insensitively against the words
// of the text. A word is a run of letters, digits and combining marks;
// everything else (spaces, line breaks, hyphens, apostrophes, commas and
// other punctuation) only separates words. So "third party" finds
// "third-party", "Third   party," and "third\nparty", and "don't" is the
// words "don" and "t" in both pattern and text.
//
//   - "provider*": a word ending in * matches any word it begins
//     ("providers", "provider's").
//   - "due to ... issue* with": "..." stands for zero to MaxGap (3) words.
//
// A match never spans the end of a sentence (".", "!", "?" or ";" between
// two of its words) or a blank line, so a phrase broken across a line
// break is still found but two sentences are never read as one.
//
// When matches overlap, the one starting first wins, and among those the
// longest, then the earlier rule: "due to our provider" is one finding, not
// "due to our provider" and "our provider". Keep longer variants of a
// phrase in the rules ("sorry for ... inconvenience* ... caused" beside
// "sorry for ... inconvenience*") to report the whole phrase.
//
// # The "due to" rule
//
// "Due to" is an excuse when it points away from you. The default rules
// flag "due to" (and "because of", "caused by") only when, within three
// words, it reaches an issue, problem, outage, failure or error "with" or
// "at" something, or an outside cause: a provider, vendor, supplier,
// partner, third party, something upstream or external, "circumstances", or
// another team or department. "Due to an issue with our database", "due to
// a problem at the data center" and "due to the provider" are flagged;
// "due to a bug we shipped" and "due to a mistake in our deploy" are not.
//
// # Default lists
//
// Blame-shifting: provider*, vendor*, supplier*, subcontractor* (alone or as
// "our ... provider*" etc.), "our ... partner*", third/3rd part*, upstream,
// external service/system/partner/dependency, another team/department/
// division, other team*, a different team, separate team*, department*,
// "circumstances beyond our control", "beyond/outside (of)/out of our
// control", "unforeseen circumstances", "not our fault", "no fault of our
// own", and the "due to" rule above.
//
// Stock phrases: "(we) apologi*/sorry for ... inconvenience* (... caused)",
// "regret ... inconvenience*", inconvenien* on its own, "(really) sorry ...
// had to experience (that|this)", "please accept our ... apologies", "we
// value your business/you as a customer/our customers", "valued customer*",
// "your call/business is important to us", "(your|customer) satisfaction
// is our ... priority", "we take ... seriously", "we strive to", "rest
// assured", "sorry if", "apologi* if", "we understand your frustration",
// "understand how frustrating", "thank(s) (you) for your (patience and)
// understanding", "appreciate your patience/understanding", "do not / don't
// hesitate to".
//
// Passive voice: "mistake*/error* were/was/ha* been made", "error*/issue*/
// problem*/outage*/incident* (ha*) occurred", "failure*/glitch*/
// disruption* occurred", "error* ha* been encountered", "issue*/problem*
// were experienced", "downtime was experienced", "data was/were lost". The
// patterns start at the noun, so "an unexpected error occurred" is found;
// "we made a mistake" and "the errors you saw came from a bug in our code"
// are not.
//
// Hedging: "may/might/could have experienced", "may/might have encountered/
// noticed/been affected/been impacted", "potentially/possibly affected",
// "if you were affected/impacted", "if you experienced/noticed", "some
// (of our) users/customers", "certain/a few users/customers", "a small/
// limited number of", "a (small) subset of", "a small percentage/fraction
// of", "a handful of", "a minority of".
package apology
