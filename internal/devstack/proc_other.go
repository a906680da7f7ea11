//go:build !linux

package devstack

import "syscall"

// setDeathSignal does nothing: only Linux can signal a child when its parent dies.
func setDeathSignal(a *syscall.SysProcAttr, sig syscall.Signal) {}
