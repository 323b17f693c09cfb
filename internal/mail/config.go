package mail

// Config is how mail leaves the machine and who signs it, as the config
// file and MAKEGOOD_* environment set it (read by the command layer):
//
//	mail.via        outbox (default), smtp or print
//	mail.outbox     directory for .eml files (default: "outbox" beside the ledger)
//	smtp.host, smtp.port, smtp.username, smtp.password, smtp.from,
//	smtp.tls (starttls, tls, none), smtp.insecure, smtp.timeout
//	sender.name, sender.email   who signs the messages (default: from smtp.from)
//
// Every command that sends mail (thank-you notes, apologies) shares it.
// The SMTP password has no flag on purpose; SMTPConfig never prints it.
type Config struct {
	Via      string
	Outbox   string
	SMTP     SMTPConfig
	FromName string
	FromAddr string
}
