package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Switch is an on/off setting whose default is on, so that its zero value
// can keep meaning "not set, take the default" while false stays
// expressible. It reads true or false (any form strconv.ParseBool takes)
// from the file, the environment or a flag.
type Switch int8

// Switch values.
const (
	SwitchUnset Switch = iota // not set: WithDefaults makes it SwitchOn
	SwitchOn
	SwitchOff
)

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Switch) UnmarshalText(b []byte) error {
	v, err := strconv.ParseBool(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid boolean %q: use true or false", b)
	}
	*s = SwitchOff
	if v {
		*s = SwitchOn
	}
	return nil
}

// On reports whether the switch is on; an unset switch is on.
func (s Switch) On() bool { return s != SwitchOff }
