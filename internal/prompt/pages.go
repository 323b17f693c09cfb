package prompt

import "context"

// Page is one screen of a multi-step form. It returns back when the
// operator asked for the previous screen, or the next page (nil when the
// form is over). allowBack says whether there is a screen to go back to.
type Page func(ctx context.Context, allowBack bool) (back bool, next Page, err error)

// RunPages shows pages in turn, keeping the trail so Back returns to the
// page before, whose answers (bound to its fields) are as they were left.
func RunPages(ctx context.Context, start Page) error {
	var trail []Page
	for cur := start; cur != nil; {
		back, next, err := cur(ctx, len(trail) > 0)
		if err != nil {
			return err
		}
		if back {
			if len(trail) == 0 {
				continue
			}
			cur, trail = trail[len(trail)-1], trail[:len(trail)-1]
			continue
		}
		trail = append(trail, cur)
		cur = next
	}
	return nil
}
