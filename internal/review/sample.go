package review

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/lawvillage/lawvillage/internal/postgres"
)

// The city's sample is random but reproducible: the same seed over the same
// retained villages gives the same sample, on any machine and Go version.
// The generator is PCG (math/rand/v2 PCG-DXSM, a fixed algorithm) seeded with
// (seed, seed); only its Uint64 output is used, with our own unbiased bounded
// draw and partial Fisher-Yates, so nothing depends on library helpers whose
// output might change.

// Method describes the sampling for the record kept with each sample.
func Method(stratified bool) string {
	m := "PCG-DXSM(seed, seed); villages ordered by code; partial Fisher-Yates, j = i + uniform(n-i) by rejection on Uint64"
	if stratified {
		m += "; stratified by town: quotas k×n_t/N by largest remainder (ties by town code), towns drawn in code order from one stream"
	}
	return m
}

// uniform returns a uniformly distributed integer in [0, n) (n > 0).
func uniform(src *rand.PCG, n uint64) uint64 {
	limit := math.MaxUint64 - math.MaxUint64%n // [0, limit) holds a whole number of n-blocks
	for {
		if x := src.Uint64(); x < limit {
			return x % n
		}
	}
}

// pick draws k of n items (indexes 0..n-1) in the order drawn.
func pick(src *rand.PCG, n, k int) []int {
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	if k > n {
		k = n
	}
	for i := 0; i < k; i++ {
		j := i + int(uniform(src, uint64(n-i)))
		a[i], a[j] = a[j], a[i]
	}
	return a[:k]
}

// Pick draws k of n items with the seed, in the order drawn.
func Pick(seed int64, n, k int) []int {
	return pick(rand.NewPCG(uint64(seed), uint64(seed)), n, k)
}

// Quotas spreads k draws over groups of the sizes by largest remainder
// (Hamilton): each group gets floor(k×n_g/N), and the rest go one each to the
// groups with the largest remainders, ties to the earlier group.
func Quotas(sizes []int, k int) []int {
	total := 0
	for _, n := range sizes {
		total += n
	}
	q := make([]int, len(sizes))
	if total == 0 {
		return q
	}
	rem := make([]int, len(sizes))
	given := 0
	for i, n := range sizes {
		q[i] = k * n / total
		rem[i] = k * n % total
		given += q[i]
	}
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for _, i := range order[:k-given] {
		q[i]++
	}
	return q
}

// Draw returns the sampling function for the seed: over the candidates (ordered
// by code), k of them uniformly, or spread over towns by quota when stratified.
func Draw(seed int64, stratified bool) postgres.SampleDraw {
	return func(c []postgres.SampleCandidate, k int) []int {
		src := rand.NewPCG(uint64(seed), uint64(seed))
		if !stratified {
			return pick(src, len(c), k)
		}
		var starts, sizes []int
		for i := range c {
			if i == 0 || c[i].TownCode != c[i-1].TownCode {
				starts, sizes = append(starts, i), append(sizes, 0)
			}
			sizes[len(sizes)-1]++
		}
		var out []int
		for t, q := range Quotas(sizes, k) {
			for _, p := range pick(src, sizes[t], q) {
				out = append(out, starts[t]+p)
			}
		}
		return out
	}
}
