package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Outbox writes each message as an RFC 5322 .eml file. It is the default way
// out because it needs no configuration and leaves a reviewable artifact.
type Outbox struct {
	Dir string
	// Now stamps the Date header and the file name; nil means time.Now.
	Now func() time.Time
}

// maxSlug keeps names well under every file system's 255-byte limit however
// long the recipient is.
const maxSlug = 48

// Send writes m into the outbox and returns its Message-ID.
func (o Outbox) Send(ctx context.Context, m Message) (string, error) {
	id, _, err := o.SendFile(ctx, m)
	return id, err
}

// SendFile is Send that also reports the file it created, for status lines
// such as "wrote outbox/20251124T101500Z-ana-example-com-3fa9c2d1.eml".
//
// The file is written under a temporary name and renamed into place once
// complete and synced, so an outbox file is always a whole message: a run
// killed halfway leaves at most a hidden temporary file, which Find
// removes. The name ends in the message's nonce, by which Find looks for
// it.
func (o Outbox) SendFile(ctx context.Context, m Message) (messageID, path string, err error) {
	if o.Dir == "" {
		return "", "", errors.New("mail: outbox directory is not set")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now()
	if m.Nonce == "" {
		m.Nonce = NewNonce()
	}
	msg, err := Build(m, t)
	if err != nil {
		return "", "", err
	}
	// Render fully before touching the disk so a failure leaves no file.
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return "", "", fmt.Errorf("mail: render message to %s: %w", m.ToAddr, err)
	}
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	// The outbox holds customers' addresses, so it is private like the ledger.
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return "", "", fmt.Errorf("mail: create outbox: %w", err)
	}
	// The nonce is fresh for every attempt (the ledger's claim), so no
	// other message has this name; the link below still refuses to replace
	// one.
	tok := token(m.Nonce)
	name := outboxName(t, m.ToAddr, tok)
	path = filepath.Join(o.Dir, name)
	tmp, err := os.CreateTemp(o.Dir, tmpPrefix+tok+"-*")
	if err != nil {
		return "", "", fmt.Errorf("mail: create outbox file: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return "", "", fmt.Errorf("mail: create outbox file: %w", err)
	}
	if err := writeAndClose(tmp, buf.Bytes()); err != nil {
		_ = os.Remove(tmp.Name())
		return "", "", fmt.Errorf("mail: write outbox file %s: %w", name, err)
	}
	if err := place(tmp.Name(), path); err != nil {
		return "", "", fmt.Errorf("mail: write outbox file %s: %w", name, err)
	}
	// A note recorded as sent must survive a crash right after: the
	// rename is durable once the directory is synced.
	if err := syncDir(o.Dir); err != nil {
		return "", "", fmt.Errorf("mail: write outbox file %s: %w", name, err)
	}
	return msg.GetMessageID(), path, nil
}

// Find looks for the file a message with this nonce was written to. A
// temporary file left by a process killed while writing is removed; when
// no .eml was linked into place the message counts as not written (found
// false): it never became an outbox file.
func (o Outbox) Find(nonce string) (path, messageID string, found bool, err error) {
	if o.Dir == "" {
		return "", "", false, errors.New("mail: outbox directory is not set")
	}
	if err := (Message{Nonce: nonce}).checkNonce(); err != nil || nonce == "" {
		return "", "", false, fmt.Errorf("mail: find in the outbox: nonce %s is not letters and digits", quoteShort(nonce))
	}
	tok := token(nonce)
	// A process killed between linking the file into place and removing
	// its temporary name leaves both; one killed before the link leaves
	// the temporary file alone. Either way the temporary file goes.
	tmps, err := filepath.Glob(filepath.Join(o.Dir, tmpPrefix+tok+"-*"))
	if err != nil {
		return "", "", false, fmt.Errorf("mail: look in the outbox: %w", err)
	}
	for _, t := range tmps {
		if err := os.Remove(t); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", "", false, fmt.Errorf("mail: remove unfinished outbox file: %w", err)
		}
	}
	matches, err := o.glob(tok)
	if err != nil {
		return "", "", false, err
	}
	if len(matches) > 0 {
		path = matches[0]
		f, err := os.Open(path)
		if err != nil {
			return "", "", false, fmt.Errorf("mail: read outbox file: %w", err)
		}
		defer f.Close()
		msg, err := mail.ReadMessage(f)
		if err != nil {
			return "", "", false, fmt.Errorf("mail: outbox file %s: %w", filepath.Base(path), err)
		}
		return path, strings.TrimSpace(msg.Header.Get("Message-Id")), true, nil
	}
	return "", "", false, nil
}

func (o Outbox) glob(tok string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(o.Dir, "*-"+tok+".eml"))
	if err != nil {
		return nil, fmt.Errorf("mail: look in the outbox: %w", err)
	}
	return matches, nil
}

// tmpPrefix hides unfinished files from anyone sending the outbox's .eml
// files on.
const tmpPrefix = ".unfinished-"

// token is the nonce as it appears in file names: only letters and digits
// (Validate checked), so nothing in it is special to a glob or a file
// system.
func token(nonce string) string { return nonce }

// place moves the finished file to its name without replacing a file
// that has it: a hard link fails if the name is taken; where links are not
// supported, a rename after checking.
func place(tmp, path string) error {
	err := os.Link(tmp, path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		if _, serr := os.Lstat(path); serr == nil {
			err = fs.ErrExist
		} else {
			err = os.Rename(tmp, path)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		err = fmt.Errorf("%s exists already", filepath.Base(path))
	}
	if rerr := os.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		err = nil // some platforms and file systems cannot sync a directory
	}
	return errors.Join(err, d.Close())
}

func writeAndClose(f *os.File, data []byte) error {
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	return errors.Join(werr, cerr)
}

// outboxName is built only from the timestamp, a slug restricted to
// [a-z0-9-] and the nonce's token, so no input can add a separator, "..",
// NUL or an over-long component.
func outboxName(t time.Time, recipient, tok string) string {
	return fmt.Sprintf("%s-%s-%s.eml", t.UTC().Format("20060102T150405Z"), slug(recipient), tok)
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= maxSlug {
				break
			}
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "message"
	}
	return b.String()
}
