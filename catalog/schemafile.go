package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
)

// maxSchemaFile bounds the size of a schema file.
const maxSchemaFile = 4 << 20

// ReadSchemaFile reads a JSON Schema from a file, JSON or, when its name
// ends in .yaml or .yml, YAML, and returns it as JSON. It checks only that
// the file parses; compiling the schema is the caller's next step.
func ReadSchemaFile(path string) (json.RawMessage, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxSchemaFile {
		return nil, fmt.Errorf("schema file %s is larger than %d MiB", path, maxSchemaFile>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			return nil, fmt.Errorf("schema file %s is not YAML: %w", path, err)
		}
		return j, nil
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("schema file %s is not JSON (name a YAML file .yaml or .yml)", path)
	}
	return b, nil
}
