package postgres

// LockID is lockID, for tests that hold the migration lock.
var LockID = lockID

// TableNames is tableNames, for the test that every table is copied.
var TableNames = (*Store).tableNames
