package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/lawvillage/lawvillage/internal/divcode"
	"github.com/lawvillage/lawvillage/internal/period"
)

// Random streams: every (table, village) pair draws from its own generator,
// seeded from the load's seed, the stream's tag and the village's code, so the
// rows of a village do not depend on which worker writes them, in which order,
// nor on the scale (a district holds the same data in a province-scale load).
const (
	tagPlan uint64 = iota + 1
	tagHouseholds
	tagActivities
	tagMediation
	tagSurveys
	tagIncidents
	tagLawsuits
	tagCarriers
	tagSavvy
	tagAdviser
	tagCheckups
	tagTitles
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rngFor returns the random stream of one table for one village.
func rngFor(seed int64, tag, key uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(uint64(seed)^splitmix(tag)), splitmix(key^(tag<<56))))
}

// day is a civil date.
type day struct{ y, m, d int }

func (d day) key() int { return d.y*10000 + d.m*100 + d.d }

func (d day) after(o day) bool { return d.key() > o.key() }

// String formats the day as 2026-05-31.
func (d day) String() string {
	b := make([]byte, 10)
	put := func(at, v, n int) {
		for i := n - 1; i >= 0; i-- {
			b[at+i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, d.y, 4)
	b[4] = '-'
	put(5, d.m, 2)
	b[7] = '-'
	put(8, d.d, 2)
	return string(b)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// randomDay returns a day of year y in months m1..m2.
func randomDay(r *rand.Rand, y, m1, m2 int) day {
	m := m1 + r.IntN(m2-m1+1)
	return day{y, m, 1 + r.IntN(daysIn(y, m))}
}

// addDays returns d moved by n days (n >= 0).
func addDays(d day, n int) day {
	for n > 0 {
		left := daysIn(d.y, d.m) - d.d
		if n <= left {
			d.d += n
			return d
		}
		n -= left + 1
		d.d = 1
		d.m++
		if d.m > 12 {
			d.m, d.y = 1, d.y+1
		}
	}
	return d
}

// village is one generated village with what its rows need to know: ids of
// its own rows (assigned by the generator, see Load) and its profile, the
// per-village rates every distribution below draws from.
type village struct {
	idx       int // position in the load, from 0
	id        int64
	code      divcode.Code
	key       uint64 // the code as a number: the random streams' key
	kind      string
	groups    int
	grids     int
	homes     int   // households
	groupBase int64 // id of the first villager group minus one
	gridBase  int64
	homeBase  int64

	titleBatch  int // 0: no provincial title
	titleID     int64
	eventBase   int64 // id of the title's first event minus one
	revokedYear int   // 0: the title is retained

	modelRate, familyRate, wechatRate float64
	lectureSkip, boardSkip            float64
	cultureSkip, listSkip, dayskip    float64
	casesPerYear                      int
	success, safety, deliberation     float64
	savvyNone                         float64 // chance that a grid has no legal-savvy person
	lawsuitBase                       int
	lawsuitsDecline                   bool
}

// plan is everything decided before a row is written: the regions, the
// villages with their sizes and profiles, and the id ranges.
type plan struct {
	seed     int64
	scale    string
	area     divcode.Code // root of the generated subtree
	regions  []Region
	villages []village
	years    []int
	today    day
	hpv      int

	households, groups, grids, titles, events int64
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// makePlan picks the area of the scale from a Jiangsu-scale province and
// draws every village's profile.
func makePlan(seed int64, scale string, years, hpv int, today period.Date) (*plan, error) {
	all := Province(seed, JiangsuScale())
	p := &plan{seed: seed, scale: scale, hpv: hpv, today: day{today.Year, int(today.Month), today.Day}}
	for y := today.Year - years + 1; y <= today.Year; y++ {
		p.years = append(p.years, y)
	}
	switch scale {
	case ScaleProvince:
		p.area = all[0].Code
	case ScaleCity:
		p.area = pickArea(all, divcode.City)
	case ScaleDistrict:
		p.area = pickArea(all, divcode.District)
	default:
		return nil, fmt.Errorf("unknown scale %q (district, city or province)", scale)
	}
	for _, r := range all {
		if p.area.IsPrefixOf(r.Code) || r.Code.IsPrefixOf(p.area) {
			p.regions = append(p.regions, r)
		}
	}
	for i, r := range p.regions {
		if r.Level != divcode.Village {
			continue
		}
		key, _ := strconv.ParseUint(string(r.Code), 10, 64)
		v := village{idx: len(p.villages), id: int64(i + 1), code: r.Code, key: key, kind: r.Kind}
		g := rngFor(seed, tagPlan, key)
		v.groups = 3 + g.IntN(6)
		v.grids = 3 + g.IntN(6)
		v.homes = max(1, int(float64(hpv)*uniform(g, 0.6, 1.4)+0.5))

		// Model households: most villages name 6-8.5 %, some stay under the 5 % line.
		if g.Float64() < 0.15 {
			v.modelRate = uniform(g, 0.02, 0.048)
		} else {
			v.modelRate = uniform(g, 0.06, 0.085)
		}
		if g.Float64() < 0.2 {
			v.familyRate = 1
		} else {
			v.familyRate = uniform(g, 0.80, 0.95)
		}
		if g.Float64() < 0.3 {
			v.wechatRate = 1
		} else {
			v.wechatRate = uniform(g, 0.90, 0.99)
		}
		// Activities: most villages miss a month rarely, a fifth miss often.
		v.lectureSkip, v.boardSkip = uniform(g, 0, 0.03), uniform(g, 0, 0.03)
		if g.Float64() < 0.2 {
			v.lectureSkip = uniform(g, 0.05, 0.25)
		}
		if g.Float64() < 0.2 {
			v.boardSkip = uniform(g, 0.05, 0.25)
		}
		if g.Float64() < 0.1 {
			v.cultureSkip = uniform(g, 0.1, 0.3)
		}
		v.listSkip, v.dayskip = uniform(g, 0, 0.08), uniform(g, 0, 0.12)
		// Outcomes: a minority of villages falls below each threshold.
		v.casesPerYear = 10 + g.IntN(21)
		if g.Float64() < 0.15 {
			v.success = uniform(g, 0.78, 0.90)
		} else {
			v.success = uniform(g, 0.91, 0.99)
		}
		if g.Float64() < 0.15 {
			v.safety = uniform(g, 0.90, 0.95)
		} else {
			v.safety = uniform(g, 0.955, 0.995)
		}
		if g.Float64() < 0.1 {
			v.deliberation = uniform(g, 0.80, 0.90)
		} else {
			v.deliberation = uniform(g, 0.91, 0.99)
		}
		if g.Float64() < 0.15 {
			v.savvyNone = uniform(g, 0.1, 0.3)
		} else {
			v.savvyNone = 0.005
		}
		v.lawsuitBase = 8 + g.IntN(40)
		v.lawsuitsDecline = g.Float64() < 0.75
		// Provincial titles: about 40 % of villages, batches 1-14 (year 2004 + batch);
		// about 3 % of titles were revoked in a review within the years generated.
		if g.Float64() < 0.40 {
			v.titleBatch = 1 + g.IntN(14)
			if g.Float64() < 0.03 {
				var cands []int
				for _, y := range p.years {
					if y > 2004+v.titleBatch && !(day{y, 9, 30}).after(p.today) {
						cands = append(cands, y)
					}
				}
				if len(cands) > 0 {
					v.revokedYear = cands[g.IntN(len(cands))]
				}
			}
		}
		v.groupBase, v.gridBase, v.homeBase = p.groups, p.grids, p.households
		p.groups += int64(v.groups)
		p.grids += int64(v.grids)
		p.households += int64(v.homes)
		if v.titleBatch > 0 {
			p.titles++
			v.titleID = p.titles
			v.eventBase = p.events
			p.events += 1 + int64(b2i(v.revokedYear != 0))
		}
		p.villages = append(p.villages, v)
	}
	return p, nil
}

// pickArea returns the region of the level whose number of villages is
// closest to the average of its level (the lowest code on a tie).
func pickArea(all []Region, level divcode.Level) divcode.Code {
	count := map[divcode.Code]int{}
	var areas []divcode.Code
	villages := 0
	for _, r := range all {
		switch r.Level {
		case level:
			areas = append(areas, r.Code)
		case divcode.Village:
			villages++
			count[r.Code.Ancestor(level)]++
		}
	}
	mean := float64(villages) / float64(len(areas))
	best, bestD := areas[0], -1.0
	for _, a := range areas {
		d := float64(count[a]) - mean
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = a, d
		}
	}
	return best
}
