package main

import "testing"

func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/graphql", "http://127.8.9.10/graphql", "http://localhost:18080/graphql",
		"https://[::1]:8443/graphql"} {
		if err := loopback(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080/graphql", "http://example.com/graphql", "http://[::2]/graphql",
		"http://0.0.0.0:8080/graphql", "http://127.0.0.1.nip.io/graphql", "ftp://127.0.0.1/", "http://localhost.evil.com/", "::"} {
		if err := loopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}
