package importutil

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/rows"
)

// PipeBatch is how many decoded rows the reader hands over at a time: the
// cost of a channel hand-over is paid once per batch, not per row.
const PipeBatch = 256

// pipeDepth is how many batches may wait between the reader and the
// writer. With the batch in the reader's hands and the one being written,
// at most (pipeDepth+2)×PipeBatch rows are in memory, however long the
// file.
const pipeDepth = 4

// Decoded is one row as the reader saw it: its line and what decode made
// of it, or the problem reading or decoding it.
type Decoded[T any] struct {
	Line int // for a row that could not be read, its problem's (0 if none)
	Val  T
	Err  error
}

// Pipe reads rd to its end on a goroutine of its own, decoding each row
// with decode, and calls write for every row, in the file's order, on the
// caller's goroutine; so reading, hashing and checking the file (all of
// it the import's own CPU work) run beside the store's writes instead of
// before each of them, while the store's transaction is only ever used
// from the goroutine that began it. decode must not touch the store; what
// needs the ledger belongs to write.
//
// A row the reader could not read or decode reaches write with Err set:
// write decides whether it is a problem of the file to list (return nil)
// or the end of the import (return it). When write returns an error, or
// ctx is done, the reader stops at its next row, and Pipe returns once
// it has: no goroutine outlives Pipe. (A reader blocked on a read of a
// pipe that sends nothing stops when that read returns.)
func Pipe[T any](ctx context.Context, rd *rows.Reader, decode func(rows.Row) (T, error),
	write func(ctx context.Context, d Decoded[T]) error) error {
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(rctx)
	full := make(chan []Decoded[T], pipeDepth)
	// Batches come back to the reader once written, so memory stays at
	// the batches in flight.
	free := make(chan []Decoded[T], pipeDepth+2)
	for range pipeDepth + 2 {
		free <- make([]Decoded[T], 0, PipeBatch)
	}

	g.Go(func() error {
		defer close(full)
		var batch []Decoded[T]
		for {
			if batch == nil {
				select {
				case batch = <-free:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			row, err := rd.Next()
			eof := errors.Is(err, io.EOF)
			if !eof {
				d := Decoded[T]{Line: row.Line, Err: err}
				var fe *ledger.FieldError
				if err != nil && errors.As(err, &fe) {
					d.Line = fe.Line // a row that could not be read has none
				}
				if err == nil {
					d.Val, d.Err = decode(row)
				}
				batch = append(batch, d)
			}
			if len(batch) == cap(batch) || (eof && len(batch) > 0) {
				select {
				case full <- batch:
					batch = nil
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			if eof {
				return nil
			}
		}
	})
	werr := func() error {
		for batch := range full {
			if err := ctx.Err(); err != nil {
				return err
			}
			for i := range batch {
				if err := write(gctx, batch[i]); err != nil {
					if cerr := ctx.Err(); cerr != nil {
						// Cancelled: database/sql rolls the transaction
						// back when its context ends and the write then
						// says only that the transaction is done; the
						// cause to report is the cancellation.
						return fmt.Errorf("%w (%v)", cerr, err)
					}
					return err
				}
			}
			clear(batch) // no row's strings kept alive by a free batch
			free <- batch[:0]
		}
		return nil
	}()
	stop() // the reader stops at its next row if the writer stopped early
	if err := g.Wait(); werr == nil && !errors.Is(err, context.Canceled) {
		werr = err
	}
	if werr == nil {
		// The reader ended early only because ctx did.
		werr = ctx.Err()
	}
	return werr
}
