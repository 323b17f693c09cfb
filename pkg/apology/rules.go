package apology

// Suggestions shared by several phrases.
const (
	ownSupplier = "say what happened and that it is yours to fix"
	ownOrgChart = "customers don't care about your org chart: say what went wrong and what you did about it"
	ownIt       = "own it: say what happened and what you are doing about it"
	ownCause    = "name the cause as yours: say what happened, e.g. \"we shipped a bug\""

	plainWords   = "say what went wrong and what you did about it, in your own words"
	notMinor     = "it was more than an inconvenience to them: say what it cost them and what you did"
	showIt       = "show it instead: say what you are doing for them"
	noHedge      = "say what you are sorry for, without \"if\": you know it affected them"
	getToTheFix  = "get to the point: what happened, that it is fixed, and what you are giving"
	sayItPlainly = "drop the formula and say it plainly"

	sayWho        = "say who did it: \"we made a mistake\", \"our deploy broke sign-in\""
	sayWhatBroke  = "say what you broke: \"we shipped a bug that stopped sign-in\""
	sayItHappened = "say that it happened to them: you know it did"
	sayHowMany    = "speak to this customer about what happened to them, not to a crowd made to sound small"
)

// DefaultRules returns the built-in phrase lists. They are data, returned
// fresh on each call, so a caller may append its own phrases.
//
// Blame-shifting covers suppliers, providers, vendors, partners and third
// parties; other teams and departments; "beyond our control" and its kin;
// and "due to" (or "because of", "caused by") aimed away from you. The last
// rule is deliberately narrow: "due to" is flagged only when, within three
// words, it reaches an issue or problem "with" or "at" something, or one of
// the outside causes above. "Due to a bug we shipped" names your own cause
// and passes.
func DefaultRules() Rules {
	return Rules{
		BlameShifting: []Phrase{
			{"provider*", ownSupplier},
			{"our ... provider*", ownSupplier},
			{"vendor*", ownSupplier},
			{"our ... vendor*", ownSupplier},
			{"supplier*", ownSupplier},
			{"our ... supplier*", ownSupplier},
			{"subcontractor*", ownSupplier},
			{"our ... partner*", ownSupplier},
			{"third part*", ownSupplier},
			{"3rd part*", ownSupplier},
			{"third part* provider*", ownSupplier},
			{"third part* service*", ownSupplier},
			{"third part* vendor*", ownSupplier},
			{"third part* supplier*", ownSupplier},
			{"upstream", ownSupplier},
			{"external service*", ownSupplier},
			{"external system*", ownSupplier},
			{"external partner*", ownSupplier},
			{"external dependenc*", ownSupplier},

			{"another team", ownOrgChart},
			{"another department", ownOrgChart},
			{"another division", ownOrgChart},
			{"other team*", ownOrgChart},
			{"a different team", ownOrgChart},
			{"separate team*", ownOrgChart},
			{"department*", ownOrgChart},

			{"circumstances beyond our control", ownIt},
			{"beyond our control", ownIt},
			{"outside our control", ownIt},
			{"outside of our control", ownIt},
			{"out of our control", ownIt},
			{"unforeseen circumstances", ownIt},
			{"not our fault", ownIt},
			{"no fault of our own", ownIt},

			{"due to ... issue* with", ownCause},
			{"due to ... issue* at", ownCause},
			{"due to ... problem* with", ownCause},
			{"due to ... problem* at", ownCause},
			{"due to ... outage* at", ownCause},
			{"due to ... failure* at", ownCause},
			{"due to ... error* at", ownCause},
			{"due to ... provider*", ownCause},
			{"due to ... vendor*", ownCause},
			{"due to ... supplier*", ownCause},
			{"due to ... partner*", ownCause},
			{"due to ... third part*", ownCause},
			{"due to ... 3rd part*", ownCause},
			{"due to ... upstream", ownCause},
			{"due to ... external", ownCause},
			{"due to ... circumstances", ownCause},
			{"due to ... circumstances beyond our control", ownIt},
			{"due to ... circumstances outside our control", ownIt},
			{"due to ... another team", ownCause},
			{"due to ... other team*", ownCause},
			{"due to ... department*", ownCause},
			{"because of ... issue* with", ownCause},
			{"because of ... problem* with", ownCause},
			{"caused by ... issue* with", ownCause},
			{"caused by ... problem* with", ownCause},
		},
		StockPhrases: []Phrase{
			{"apologi* for ... inconvenience*", plainWords},
			{"apologi* for ... inconvenience* ... caused", plainWords},
			{"we apologi* for ... inconvenience*", plainWords},
			{"we apologi* for ... inconvenience* ... caused", plainWords},
			{"sorry for ... inconvenience*", plainWords},
			{"sorry for ... inconvenience* ... caused", plainWords},
			{"regret ... inconvenience*", plainWords},
			{"inconvenien*", notMinor},

			{"sorry ... had to experience", sayItPlainly},
			{"sorry ... had to experience that", sayItPlainly},
			{"sorry ... had to experience this", sayItPlainly},
			{"really sorry ... had to experience", sayItPlainly},
			{"really sorry ... had to experience that", sayItPlainly},
			{"really sorry ... had to experience this", sayItPlainly},
			{"please accept our ... apologies", sayItPlainly},

			{"we value your business", showIt},
			{"we value you as a customer", showIt},
			{"we value our customers", showIt},
			{"valued customer*", showIt},
			{"your call is important to us", showIt},
			{"your business is important to us", showIt},
			{"your satisfaction is our ... priority", showIt},
			{"customer satisfaction is our ... priority", showIt},
			{"we take ... seriously", showIt},
			{"we strive to", showIt},
			{"rest assured", showIt},

			{"sorry if", noHedge},
			{"apologi* if", noHedge},

			{"we understand your frustration", getToTheFix},
			{"understand how frustrating", getToTheFix},
			{"thank you for your understanding", getToTheFix},
			{"thanks for your understanding", getToTheFix},
			{"thank you for your patience and understanding", getToTheFix},
			{"appreciate your patience", getToTheFix},
			{"appreciate your understanding", getToTheFix},
			{"do not hesitate to", getToTheFix},
			{"don't hesitate to", getToTheFix},
		},
		// Passive voice that leaves out who did it. "Errors occurred" and
		// "an outage occurred" hide the agent as well as "mistakes were
		// made" does; the patterns start at the noun, so an adjective in
		// front ("an unexpected error occurred") changes nothing.
		PassiveVoice: []Phrase{
			{"mistake* were made", sayWho},
			{"mistake* was made", sayWho},
			{"mistake* ha* been made", sayWho},
			{"error* were made", sayWho},
			{"error* was made", sayWho},
			{"error* ha* been made", sayWho},
			{"error* occurred", sayWhatBroke},
			{"error* ha* occurred", sayWhatBroke},
			{"error* ha* been encountered", sayWhatBroke},
			{"issue* occurred", sayWhatBroke},
			{"issue* ha* occurred", sayWhatBroke},
			{"problem* occurred", sayWhatBroke},
			{"problem* ha* occurred", sayWhatBroke},
			{"outage* occurred", sayWhatBroke},
			{"outage* ha* occurred", sayWhatBroke},
			{"incident* occurred", sayWhatBroke},
			{"incident* ha* occurred", sayWhatBroke},
			{"failure* occurred", sayWhatBroke},
			{"glitch* occurred", sayWhatBroke},
			{"disruption* occurred", sayWhatBroke},
			{"issue* were experienced", sayWhatBroke},
			{"issue* was experienced", sayWhatBroke},
			{"problem* were experienced", sayWhatBroke},
			{"downtime was experienced", sayWhatBroke},
			{"data was lost", sayWho},
			{"data were lost", sayWho},
		},
		// Hedging: "may have" about what the operator knows happened, and
		// crowds made to sound small.
		Hedging: []Phrase{
			{"may have experienced", sayItHappened},
			{"might have experienced", sayItHappened},
			{"could have experienced", sayItHappened},
			{"may have encountered", sayItHappened},
			{"might have encountered", sayItHappened},
			{"may have noticed", sayItHappened},
			{"might have noticed", sayItHappened},
			{"may have been affected", sayItHappened},
			{"might have been affected", sayItHappened},
			{"may have been impacted", sayItHappened},
			{"might have been impacted", sayItHappened},
			{"potentially affected", sayItHappened},
			{"possibly affected", sayItHappened},
			{"if you were affected", sayItHappened},
			{"if you were impacted", sayItHappened},
			{"if you experienced", sayItHappened},
			{"if you noticed", sayItHappened},

			{"some users", sayHowMany},
			{"some customers", sayHowMany},
			{"some of our users", sayHowMany},
			{"some of our customers", sayHowMany},
			{"certain users", sayHowMany},
			{"certain customers", sayHowMany},
			{"a few users", sayHowMany},
			{"a few customers", sayHowMany},
			{"a small number of", sayHowMany},
			{"a limited number of", sayHowMany},
			{"a small subset of", sayHowMany},
			{"a subset of", sayHowMany},
			{"a small percentage of", sayHowMany},
			{"a small fraction of", sayHowMany},
			{"a handful of", sayHowMany},
			{"a minority of", sayHowMany},
		},
	}
}
