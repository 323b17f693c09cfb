// Package layout holds no code: its test enforces how makegood's packages
// may import each other (see TestImportRules), the layout DESIGN.md and
// the README describe.
package layout
