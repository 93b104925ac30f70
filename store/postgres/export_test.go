package postgres

// LockID is lockID, for tests that hold the migration lock.
var LockID = lockID

// TableNames is tableNames, for the test that every table is copied.
var TableNames = (*Store).tableNames

// UncopiedTables returns the tables of the schema that hold no hookd.Kind,
// with the reason a copy leaves them out. Every other table must be a
// Kind: the test of copies compares the schema with both lists.
func UncopiedTables() map[string]string {
	return map[string]string{
		"change_seq":       "a counter the triggers keep; the target's own grows with the import",
		"goose_db_version": "the migrations applied; the target applies its own",
		"nodes":            "heartbeats of the running nodes, which the target's nodes write themselves",
	}
}
