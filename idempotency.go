package hookd

// IdempotencyKeyPattern is what an idempotency key matches: a publish's id
// or Idempotency-Key, and the Idempotency-Key of any other API request.
const IdempotencyKeyPattern = `^[A-Za-z0-9_:-]{1,64}$`

// ValidIdempotencyKey reports whether key matches IdempotencyKeyPattern.
func ValidIdempotencyKey(key string) bool {
	if len(key) == 0 || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
