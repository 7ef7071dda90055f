//go:build !unix

package main

// dataDirLock does nothing where flock(2) is not available: the data dir is not guarded.
type dataDirLock struct{}

func lockDataDir(string) (*dataDirLock, error) { return &dataDirLock{}, nil }

func (l *dataDirLock) release() error { return nil }
