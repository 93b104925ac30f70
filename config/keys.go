package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// envPrefix starts the environment variable of every key.
const envPrefix = "HOOKD_"

// key is one leaf of Config, found by reflection over its yaml tags, so that
// the file, the environment and the flags all know the same keys.
type key struct {
	name  string // "delivery.timeout"
	env   string // "HOOKD_DELIVERY_TIMEOUT"
	index []int  // reflect field index path from Config
	list  bool   // a slice: a YAML sequence, or comma-separated text
	items bool   // a []Item: a YAML list of objects, only in the file
	// object: a value that may be a YAML mapping, read as JSON text (a
	// hookd.PayloadSpec), or a single value.
	object bool
}

var (
	// keys are the leaves of Config; sections its structs ("delivery").
	keys, sections = collectKeys()
	keysByName     = indexKeys(keys)
)

func collectKeys() ([]key, map[string]bool) {
	var ks []key
	secs := map[string]bool{}
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "" || !f.IsExported() {
				continue
			}
			name := prefix + tag
			idx := append(append([]int(nil), index...), i)
			if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(textUnmarshaler) {
				secs[name] = true
				walk(f.Type, name+".", idx)
				continue
			}
			ks = append(ks, key{
				name:   name,
				env:    EnvName(name),
				index:  idx,
				list:   f.Type.Kind() == reflect.Slice,
				items:  f.Type == reflect.TypeFor[[]Item](),
				object: f.Type.Kind() == reflect.Struct,
			})
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return ks, secs
}

func indexKeys(ks []key) map[string]key {
	m := make(map[string]key, len(ks))
	for _, k := range ks {
		m[k.name] = k
	}
	return m
}

// Keys returns every configuration key, such as "delivery.timeout", in
// the order of the Config struct.
func Keys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.name
	}
	return out
}

// EnvName returns the environment variable of a key: "delivery.timeout"
// → "HOOKD_DELIVERY_TIMEOUT".
func EnvName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// FlagName returns the conventional command-line flag of a key, which Load
// uses to name the origin of a bad flag value: "ssrf.allow" → "ssrf-allow".
func FlagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

// field returns the value of k inside c.
func (k key) field(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(k.index)
}

// setText sets k in c from text: a list is comma-separated, its items
// trimmed and empty items skipped.
func (k key) setText(c *Config, text string) error {
	if k.items {
		return fmt.Errorf("%s can only be set in the configuration file", k.name)
	}
	if !k.list {
		return setScalar(k.field(c), text)
	}
	var items []string
	for _, s := range strings.Split(text, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, s)
		}
	}
	return setList(k.field(c), items)
}

// setList sets a slice from the text of its items.
func setList(v reflect.Value, items []string) error {
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		if err := setScalar(s.Index(i), item); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// setScalar sets v from text, through encoding.TextUnmarshaler when v
// implements it (hookd.Duration, hookd.Size), else by v's kind.
func setScalar(v reflect.Value, text string) error {
	if v.Addr().Type().Implements(textUnmarshaler) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(text))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return fmt.Errorf("invalid boolean %q: use true or false", text)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q", text)
		}
		v.SetInt(n)
	default:
		return errors.New("unsupported type " + v.Type().String()) // a bug in Config
	}
	return nil
}
