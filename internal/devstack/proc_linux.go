package devstack

import "syscall"

// setDeathSignal makes the kernel send sig to the child when we die, so that a
// crashed or killed `lawvillage devstack` leaves no servers behind.
func setDeathSignal(a *syscall.SysProcAttr, sig syscall.Signal) {
	a.Pdeathsig = sig
}
