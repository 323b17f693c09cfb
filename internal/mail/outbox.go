package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
func (o Outbox) SendFile(ctx context.Context, m Message) (messageID, path string, err error) {
	if o.Dir == "" {
		return "", "", errors.New("mail: outbox directory is not set")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now()
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
	for range 8 {
		name := outboxName(t, m.ToAddr)
		path = filepath.Join(o.Dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("mail: create outbox file: %w", err)
		}
		if err := writeAndClose(f, buf.Bytes()); err != nil {
			_ = os.Remove(path)
			return "", "", fmt.Errorf("mail: write outbox file %s: %w", name, err)
		}
		return msg.GetMessageID(), path, nil
	}
	return "", "", errors.New("mail: could not find a free outbox file name")
}

func writeAndClose(f *os.File, data []byte) error {
	_, werr := f.Write(data)
	if werr == nil {
		// A note recorded as sent must survive a crash right after.
		werr = f.Sync()
	}
	cerr := f.Close()
	return errors.Join(werr, cerr)
}

// outboxName is built only from the timestamp, a slug restricted to
// [a-z0-9-] and random base32, so no input can add a separator, "..", NUL or an
// over-long component.
func outboxName(t time.Time, recipient string) string {
	return fmt.Sprintf("%s-%s-%s.eml", t.UTC().Format("20060102T150405Z"), slug(recipient), rand.Text()[:8])
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
