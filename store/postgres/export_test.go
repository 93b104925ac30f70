package postgres

// LockID is lockID, for tests that hold the migration lock.
var LockID = lockID
