package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// LoadOptions says where Load reads the configuration.
type LoadOptions struct {
	// Path is the YAML file to read, which must exist. "" reads
	// DefaultPath from the working directory if it exists, and no file
	// otherwise.
	Path string
	// Env is the environment as "NAME=value" strings, as os.Environ
	// returns it; a later entry wins over an earlier one of the same name.
	// It supplies ${NAME} in the file and the HOOKD_* overrides. nil is an
	// empty environment: Load never reads the process's environment
	// itself, so a program passes os.Environ().
	Env []string
	// Flags maps configuration keys ("addr", "ssrf.allow") to the text of
	// the flags the user gave (lists comma-separated). Only flags set
	// explicitly belong here, so that a flag left out does not hide the
	// file or the environment. Errors name a flag "--" + FlagName(key). A
	// key that is not a configuration key is an error.
	Flags map[string]string
}

// Load reads the configuration from the file, then the environment, then
// the flags, each overriding the one before, fills in defaults and
// validates the result. Its errors say where the bad value came from:
//
//	hookd.yaml:7: unknown key "delivery.timout"
//	hookd.yaml:9: delivery.timeout: must be at most 5m0s
//	HOOKD_DELIVERY_TIMEOUT: invalid duration "x": use a Go duration such as "30s" or "5m"
//	--ssrf-allow: invalid CIDR "10.0.0.0/33"
//
// A HOOKD_* variable that is not the variable of a key is ignored, as is an
// empty one, so that HOOKD_TEST_POSTGRES_URL or HOOKD_ADDR= change nothing.
func Load(opts LoadOptions) (*Config, error) {
	env := envMap(opts.Env)
	c := &Config{}
	origins := map[string]string{}
	if err := loadFile(opts.Path, c, env, origins); err != nil {
		return nil, err
	}
	if err := applyEnv(c, env, origins); err != nil {
		return nil, err
	}
	if err := applyFlags(c, opts.Flags, origins); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, withOrigins(err, origins)
	}
	return c, nil
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if name, val, ok := strings.Cut(kv, "="); ok {
			m[name] = val
		}
	}
	return m
}

func loadFile(path string, c *Config, env map[string]string, origins map[string]string) error {
	explicit := path != ""
	if !explicit {
		path = DefaultPath
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("read config file: %w", err)
	}
	src, err = expand(path, src, env)
	if err != nil {
		return err
	}
	if err := decodeYAML(path, src, c, origins); err != nil {
		return err
	}
	c.file = path
	return nil
}

func applyEnv(c *Config, env map[string]string, origins map[string]string) error {
	for _, k := range keys {
		val := env[k.env]
		if val == "" {
			continue
		}
		if err := k.setText(c, val); err != nil {
			return &KeyError{Key: k.name, Origin: k.env, Err: err}
		}
		origins[k.name] = k.env
	}
	return nil
}

func applyFlags(c *Config, flags map[string]string, origins map[string]string) error {
	names := make([]string, 0, len(flags))
	for name := range flags {
		names = append(names, name)
	}
	slices.Sort(names) // the same error for the same flags
	for _, name := range names {
		k, ok := keysByName[name]
		if !ok {
			return fmt.Errorf("flags: unknown configuration key %q", name)
		}
		origin := "--" + FlagName(name)
		if err := k.setText(c, flags[name]); err != nil {
			return &KeyError{Key: name, Origin: origin, Err: err}
		}
		origins[name] = origin
	}
	return nil
}

// withOrigins sets the Origin of the *KeyErrors in err, as joined by
// Validate, to where their values came from.
func withOrigins(err error, origins map[string]string) error {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ke *KeyError
		if errors.As(e, &ke) && ke.Origin == "" {
			ke.Origin = origins[ke.Key]
		}
	}
	return err
}
