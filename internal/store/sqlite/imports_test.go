package sqlite

import (
	"strings"
	"testing"
)

func TestImportsAppendOnly(t *testing.T) {
	st := openTest(t)
	fill(t, st, 1, 1)
	for _, q := range []string{"UPDATE imports SET rows = 0", "DELETE FROM imports"} {
		if _, err := st.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
