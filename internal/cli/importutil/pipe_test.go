package importutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/rows"
)

// file is a CSV of n rows (lines 2 to n+1), row i's value "v<i>", with
// the rows of bad (by line) given one field too many.
func file(n int, bad ...int) string {
	var b strings.Builder
	b.WriteString("a\n")
	for i := range n {
		line := i + 2
		fmt.Fprintf(&b, "v%d", line)
		for _, l := range bad {
			if l == line {
				b.WriteString(",extra")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func reader(t *testing.T, in io.Reader) *rows.Reader {
	t.Helper()
	rd, err := rows.NewReader(in, rows.CSV)
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Bind(rows.Schema{Columns: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	return rd
}

func value(r rows.Row) (string, error) { return r.Get(0), nil }

func TestPipeDeliversEveryRowInOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const n = 10*PipeBatch + 7                                       // batches, and a last one not full
	rd := reader(t, strings.NewReader(file(n, 2, PipeBatch+2, n+1))) // the first, a batch's first, the last
	next := 2
	var problems []int
	err := Pipe(context.Background(), rd, value, func(_ context.Context, d Decoded[string]) error {
		if d.Line != next {
			return fmt.Errorf("line %d after %d", d.Line, next-1)
		}
		next++
		if d.Err != nil {
			var fe *ledger.FieldError
			if !errors.As(d.Err, &fe) || fe.Line != d.Line {
				return fmt.Errorf("line %d: %v, want a FieldError on its line", d.Line, d.Err)
			}
			problems = append(problems, d.Line)
			return nil
		}
		if want := fmt.Sprintf("v%d", d.Line); d.Val != want {
			return fmt.Errorf("line %d: %q, want %q", d.Line, d.Val, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != n+2 || rd.Rows() != n {
		t.Fatalf("wrote up to line %d, read %d rows; want %d", next-1, rd.Rows(), n)
	}
	if want := fmt.Sprint([]int{2, PipeBatch + 2, n + 1}); fmt.Sprint(problems) != want {
		t.Fatalf("problems on lines %v, want %s", problems, want)
	}
}

// A writer that fails stops the reader: Pipe returns the writer's error,
// with no goroutine left, and the reader got at most the batches in
// flight ahead of it.
func TestPipeWriterErrorStopsTheReader(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const n, failAt = 200_000, 3_000
	rd := reader(t, strings.NewReader(file(n)))
	boom := errors.New("disk full")
	err := Pipe(context.Background(), rd, value, func(_ context.Context, d Decoded[string]) error {
		if d.Line == failAt {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the writer's", err)
	}
	if ahead := rd.Rows() - failAt; ahead > (pipeDepth+2)*PipeBatch+1 {
		t.Fatalf("the reader read %d rows past the writer's failure; at most %d are in flight", ahead, (pipeDepth+2)*PipeBatch+1)
	}
}

// failingReader gives its data, then an error that is not about the file.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, f.err
	}
	return n, err
}

// A read that fails reaches the writer on its line's turn, after every
// row before it, and ends the import when the writer says so.
func TestPipeReadErrorReachesTheWriter(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	eio := errors.New("input/output error")
	rd := reader(t, &failingReader{r: strings.NewReader(file(5 * PipeBatch)), err: eio})
	wrote := 0
	err := Pipe(context.Background(), rd, value, func(_ context.Context, d Decoded[string]) error {
		if d.Err != nil {
			return d.Err
		}
		wrote++
		return nil
	})
	if !errors.Is(err, eio) {
		t.Fatalf("err = %v, want the read's", err)
	}
	if wrote != 5*PipeBatch {
		t.Fatalf("wrote %d rows before the error, want all %d", wrote, 5*PipeBatch)
	}
}

// Cancelling the context (Ctrl-C) ends Pipe with the context's error,
// wherever the two goroutines are.
func TestPipeCancelled(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rd := reader(t, strings.NewReader(file(100_000)))
	err := Pipe(ctx, rd, func(r rows.Row) (string, error) {
		if r.Line == 20_000 {
			cancel() // from the reader's side, as a signal may come
		}
		return r.Get(0), nil
	}, func(context.Context, Decoded[string]) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rd.Rows() == 100_000 {
		t.Fatal("the reader read the whole file after the cancel")
	}
}
