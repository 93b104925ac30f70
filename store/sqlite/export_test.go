package sqlite

// TableNames is tableNames, for the test that every table is copied.
var TableNames = (*Store).tableNames
