package config

import (
	"fmt"
	"strings"
)

// expand replaces ${NAME} and ${NAME:-default} in the YAML text with values
// from env; "$$" is a literal "$", and a "$" followed by anything else is
// kept as it is. The value of NAME replaces the reference as text, so a
// value that may contain YAML syntax belongs in quotes.
//
// Lines that are comments (first non-blank character "#") are left alone,
// so that a commented-out key does not need its variable set. A variable
// that is unset, without a default, is an error naming it and its line; so
// is a value with a line break, which would shift the lines of every later
// error and could inject keys.
func expand(name string, src []byte, env map[string]string) ([]byte, error) {
	lines := strings.SplitAfter(string(src), "\n")
	var b strings.Builder
	b.Grow(len(src))
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
			b.WriteString(line)
			continue
		}
		if err := expandLine(&b, line, env); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
	}
	return []byte(b.String()), nil
}

func expandLine(b *strings.Builder, line string, env map[string]string) error {
	for {
		i := strings.IndexByte(line, '$')
		if i < 0 || i == len(line)-1 {
			b.WriteString(line)
			return nil
		}
		b.WriteString(line[:i])
		switch line[i+1] {
		case '$':
			b.WriteByte('$')
			line = line[i+2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			line = line[i+1:]
			continue
		}
		end := strings.IndexByte(line[i:], '}')
		if end < 0 {
			return fmt.Errorf("unterminated ${ in %q", strings.TrimSpace(line[i:]))
		}
		val, err := lookup(line[i+2:i+end], env)
		if err != nil {
			return err
		}
		b.WriteString(val)
		line = line[i+end+1:]
	}
}

// lookup resolves the inside of ${…}: NAME or NAME:-default. As in the
// shell, the default applies when NAME is unset or empty.
func lookup(ref string, env map[string]string) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !validVarName(name) {
		return "", fmt.Errorf("invalid variable reference ${%s}", ref)
	}
	val, ok := env[name]
	switch {
	case hasDef && val == "":
		val = def
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set (use ${%s:-default} for a default)", name, name)
	}
	if strings.ContainsAny(val, "\r\n") {
		return "", fmt.Errorf("environment variable %s contains a line break", name)
	}
	return val, nil
}

func validVarName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if c != '_' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
