package mail

import (
	"context"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func readDir(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, rel)
		}
		return nil
	})
	return names, err
}

func TestOutboxWritesParseableFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "outbox")
	now := time.Date(2025, 11, 24, 10, 15, 0, 0, time.UTC)
	o := Outbox{Dir: dir, Now: func() time.Time { return now }}

	id, path, err := o.SendFile(context.Background(), testMessage())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir {
		t.Fatalf("file %s not in %s", path, dir)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	dst, _ := os.Stat(dir)
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", dst.Mode().Perm())
	}
	if !strings.HasPrefix(filepath.Base(path), "20251124T101500Z-jose-customer-example-") {
		t.Errorf("file name %q", filepath.Base(path))
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pm, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("outbox file does not parse: %v", err)
	}
	if pm.Header.Get("Message-Id") != id {
		t.Errorf("Message-ID %q, Send returned %q", pm.Header.Get("Message-Id"), id)
	}
	if d, err := pm.Header.Date(); err != nil || !d.Equal(now) {
		t.Errorf("Date = %v, %v", d, err)
	}
	to, err := pm.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "José Núñez" {
		t.Errorf("To = %v, %v", to, err)
	}
	subj, err := new(mimeDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil || subj != testMessage().Subject {
		t.Errorf("Subject = %q, %v", subj, err)
	}
	if body := decodeBody(t, pm); !strings.Contains(body, "Thank you for three years.") {
		t.Errorf("body = %q", body)
	}
}

func TestOutboxNamesStayInDir(t *testing.T) {
	outboxNameRE := regexp.MustCompile(`^\d{8}T\d{6}Z-[a-z0-9]+(-[a-z0-9]+)*-[A-Z2-7]{26}\.eml$`)
	root := t.TempDir()
	dir := filepath.Join(root, "a", "outbox")
	o := Outbox{Dir: dir}
	hostile := []string{
		`"../../etc/passwd"@example.com`,
		`a/b@example.com`,
		`"../x"@example.com`,
		`"..\\..\\x"@example.com`,
		strings.Repeat("x", 300) + "@example.com",
		strings.Repeat("é", 200) + "@example.com",
		`"..."@example.com`,
		`"/"@example.com`,
	}
	for _, to := range hostile {
		m := testMessage()
		m.ToAddr = to
		_, path, err := o.SendFile(context.Background(), m)
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		if filepath.Dir(path) != dir {
			t.Errorf("%s: wrote %s outside %s", to, path, dir)
		}
		if base := filepath.Base(path); !outboxNameRE.MatchString(base) || len(base) > 100 {
			t.Errorf("%s: unexpected name %q", to, base)
		}
	}
	files, err := readDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Dir(f) != filepath.Join("a", "outbox") {
			t.Errorf("stray file %s", f)
		}
	}
	if len(files) != len(hostile) {
		t.Errorf("%d files for %d messages: never overwrite", len(files), len(hostile))
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":       "etc-passwd",
		"a/b":                    "a-b",
		"a\x00b":                 "a-b",
		"Bob@Example.COM":        "bob-example-com",
		"...":                    "message",
		"":                       "message",
		"über":                   "ber",
		strings.Repeat("ab", 99): strings.Repeat("ab", 24),
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOutboxNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	o := Outbox{Dir: dir, Now: func() time.Time { return now }}
	seen := map[string]bool{}
	for range 50 {
		_, path, err := o.SendFile(context.Background(), testMessage())
		if err != nil {
			t.Fatal(err)
		}
		if seen[path] {
			t.Fatalf("path %s reused", path)
		}
		seen[path] = true
	}
	files, _ := readDir(dir)
	if len(files) != 50 {
		t.Fatalf("%d files, want 50", len(files))
	}
}

func TestOutboxErrors(t *testing.T) {
	if _, err := (Outbox{}).Send(context.Background(), testMessage()); err == nil {
		t.Error("empty Dir accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := (Outbox{Dir: dir}).Send(ctx, testMessage()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if files, _ := readDir(dir); len(files) != 0 {
		t.Errorf("files written after cancel: %v", files)
	}
}

// The outbox file is named by the message's nonce, so a later run finds
// what an earlier one wrote; a file a killed run left half-written never
// becomes an outbox file and is cleared away by Find.
func TestOutboxFindByNonce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o := Outbox{Dir: dir}
	m := testMessage()
	m.Nonce = NewNonce()
	if _, _, found, err := o.Find(m.Nonce); err != nil || found {
		t.Fatalf("before writing: found %t, %v", found, err)
	}
	id, path, err := o.SendFile(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if id != "<"+m.Nonce+"@makegood.example>" {
		t.Errorf("Message-ID %q is not made from the nonce %s", id, m.Nonce)
	}
	if !strings.HasSuffix(path, "-"+m.Nonce+".eml") {
		t.Errorf("file %s is not named by the nonce", path)
	}
	gotPath, gotID, found, err := o.Find(m.Nonce)
	if err != nil || !found || gotPath != path || gotID != id {
		t.Fatalf("Find = %q, %q, %t, %v; want %q, %q", gotPath, gotID, found, err, path, id)
	}
	// Never a file replaced: the same message again, at the same second.
	o.Now = func() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) }
	m.Nonce = NewNonce()
	if _, _, err := o.SendFile(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.SendFile(context.Background(), m); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Fatalf("second SendFile with the same nonce: %v", err)
	}
	o.Now = nil

	// A run killed mid-write leaves only its hidden temporary file.
	other := NewNonce()
	tmp := filepath.Join(dir, tmpPrefix+other+"-123")
	if err := os.WriteFile(tmp, []byte("From: half a mess"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := o.Find(other); err != nil || found {
		t.Fatalf("half-written file: found %t, %v", found, err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unfinished file is still there: %v", err)
	}
	// A run killed after linking the file into place, before removing
	// its temporary name, leaves both: the message counts as written and
	// the temporary name goes.
	linked := filepath.Join(dir, tmpPrefix+m.Nonce+"-456")
	if err := os.WriteFile(linked, []byte("From: the same message"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := o.Find(m.Nonce); err != nil || !found {
		t.Fatalf("linked file with its temporary name left: found %t, %v", found, err)
	}
	if _, err := os.Stat(linked); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary name of a linked file is still there: %v", err)
	}
	files, _ := readDir(dir)
	if len(files) != 2 {
		t.Errorf("outbox holds %v, want the two messages", files)
	}
	for _, bad := range []string{"", "*", "../x", "a b"} {
		if _, _, _, err := o.Find(bad); err == nil {
			t.Errorf("Find(%q) accepted a nonce that is not letters and digits", bad)
		}
	}
}
