// Package gen builds deterministic, synthetic region hierarchies for the demo,
// tests and benchmarks. Every name below the province level is made up from
// syllable pools (e.g. 青塘镇, 王家桥村委会, 翠湾社区居委会); any likeness to a
// real place is chance. The same seed always gives the same regions.
package gen

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"github.com/lawvillage/lawvillage/internal/divcode"
)

// Kinds of a village-level region, as the region import expects them.
const (
	KindVillage   = "village"
	KindCommunity = "community"
)

// Region is one generated region.
type Region struct {
	Code       divcode.Code
	Name       string
	ParentCode divcode.Code  // empty for the province
	Level      divcode.Level // from the code's length
	Kind       string        // KindVillage or KindCommunity for a village-level region, "" otherwise
}

// Spec sizes a generated province. The per-parent figures are averages; each
// parent gets a varied number of children. When a total (Districts, Towns,
// Villages) is set it is met exactly; zero means average × number of parents.
// Counts are clamped to what the codes can hold (at most 99 cities and 98
// districts per parent, 999 towns or villages per parent) and to at least one.
type Spec struct {
	ProvinceCode     string // 2 digits, e.g. "32"
	ProvinceName     string // e.g. "江苏省"
	Cities           int
	DistrictsPerCity int
	TownsPerDistrict int
	VillagesPerTown  int
	Districts        int // optional exact total of districts and counties
	Towns            int // optional exact total of towns and subdistricts
	Villages         int // optional exact total of villages and communities
}

// JiangsuScale returns a spec of Jiangsu's size: 1 province, 13 cities, 104
// districts, 1,490 towns and 22,000 villages and communities (23,608 regions).
func JiangsuScale() Spec {
	return Spec{
		ProvinceCode: "32", ProvinceName: "江苏省",
		Cities: 13, DistrictsPerCity: 8, TownsPerDistrict: 14, VillagesPerTown: 15,
		Districts: 104, Towns: 1490, Villages: 22000,
	}
}

// Province generates a whole province, sorted by level then code (parents
// before children). It panics when spec.ProvinceCode is not a province code.
func Province(seed int64, spec Spec) []Region {
	pc, err := divcode.Parse(spec.ProvinceCode)
	if err != nil || pc.Level() != divcode.Province {
		panic(fmt.Sprintf("gen: bad province code %q", spec.ProvinceCode))
	}
	g := newGen(seed)
	name := spec.ProvinceName
	if name == "" {
		name = "示例省"
	}
	out := []Region{{Code: pc, Name: name, Level: divcode.Province}}

	nCities := clamp(spec.Cities, 1, 99)
	cities := g.children(out[0], nCities, 0, 1, 99, 2, cityNamer)
	out = append(out, cities...)

	districts := g.level(cities, spec.Districts, spec.DistrictsPerCity, 98, func(parent Region, n int) []Region {
		counties := 0
		if n > 3 {
			counties = g.r.IntN(n/2 + 1) // some cities have counties too
		}
		return g.children(parent, n-counties, counties, 2, 21, 2, districtNamer)
	})
	out = append(out, districts...)

	towns := g.level(districts, spec.Towns, spec.TownsPerDistrict, 999, func(parent Region, n int) []Region {
		streets := (n*g.r.IntN(51) + 50) / 100 // 0-50 % subdistricts
		return g.children(parent, streets, n-streets, 1, 100, 3, townNamer)
	})
	out = append(out, towns...)

	villages := g.level(towns, spec.Villages, spec.VillagesPerTown, 999, g.villages)
	out = append(out, villages...)
	return out
}

// DemoDistrict generates the demo hierarchy 32 江苏省 > 3201 南京市 > 320117
// 溧水区 with 8 towns and subdistricts and 100 villages and communities, sorted
// by level then code.
func DemoDistrict(seed int64) []Region {
	g := newGen(seed)
	prov := Region{Code: "32", Name: "江苏省", Level: divcode.Province}
	city := Region{Code: "3201", Name: "南京市", ParentCode: "32", Level: divcode.City}
	dist := Region{Code: "320117", Name: "溧水区", ParentCode: "3201", Level: divcode.District}
	out := []Region{prov, city, dist}
	towns := g.children(dist, 2, 6, 1, 100, 3, townNamer)
	out = append(out, towns...)
	counts := g.distribute(100, len(towns), 1, 999)
	for i, t := range towns {
		out = append(out, g.villages(t, counts[i])...)
	}
	return out
}

// WriteCSV writes regions as a region import file with the header
// code,name,parent_code,kind.
func WriteCSV(w io.Writer, regions []Region) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"code", "name", "parent_code", "kind"}); err != nil {
		return err
	}
	for _, r := range regions {
		if err := cw.Write([]string{string(r.Code), r.Name, string(r.ParentCode), r.Kind}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type gen struct {
	r *rand.Rand
}

func newGen(seed int64) *gen {
	return &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x6c617776696c6c61))}
}

// level makes the children of every parent: total children in all (or
// avg × parents when total is 0), spread unevenly, at most max per parent.
func (g *gen) level(parents []Region, total, avg, max int, mk func(Region, int) []Region) []Region {
	if total <= 0 {
		total = clamp(avg, 1, max) * len(parents)
	}
	counts := g.distribute(total, len(parents), 1, max)
	var out []Region
	for i, p := range parents {
		out = append(out, mk(p, counts[i])...)
	}
	return out
}

// distribute splits total into n counts between lo and hi that vary around
// the mean; the sum is total unless that is out of [n*lo, n*hi].
func (g *gen) distribute(total, n, lo, hi int) []int {
	total = clamp(total, n*lo, n*hi)
	counts := make([]int, n)
	for i := range counts {
		counts[i] = total / n
		if i < total%n {
			counts[i]++
		}
	}
	spread := total/n/3 + 1
	for k := 0; k < 2*n; k++ {
		i, j := g.r.IntN(n), g.r.IntN(n)
		d := g.r.IntN(spread + 1)
		if i != j && counts[i]-d >= lo && counts[j]+d <= hi {
			counts[i] -= d
			counts[j] += d
		}
	}
	return counts
}

// namer makes the name of child i of a parent; second tells whether the child
// is of the parent's second sort (a county, a town, a village).
type namer func(g *gen, second bool) (name, kind string)

// children makes nA children of the first sort and nB of the second under
// parent. With width digits per code segment, the first sort is numbered from
// startA and the second from startB, or everything from 1 when that does not fit.
func (g *gen) children(parent Region, nA, nB, startA, startB, width int, name namer) []Region {
	limit := 1
	for range width {
		limit *= 10
	}
	limit--
	codes := make([]int, 0, nA+nB)
	if startA+nA-1 < startB && startB+nB-1 <= limit {
		for i := range nA {
			codes = append(codes, startA+i)
		}
		for i := range nB {
			codes = append(codes, startB+i)
		}
	} else {
		for i := range nA + nB {
			codes = append(codes, 1+i)
		}
	}
	used := map[string]bool{}
	out := make([]Region, 0, len(codes))
	for i, c := range codes {
		var n, kind string
		for try := 0; ; try++ {
			n, kind = name(g, i >= nA)
			if !used[n] {
				break
			}
			if try > 50 { // pools exhausted for this parent: number the name
				n = n[:len(n)-len(suffixOf(n))] + strconv.Itoa(i+1) + suffixOf(n)
				if !used[n] {
					break
				}
			}
		}
		used[n] = true
		code := divcode.Code(fmt.Sprintf("%s%0*d", parent.Code, width, c))
		out = append(out, Region{Code: code, Name: n, ParentCode: parent.Code, Level: code.Level(), Kind: kind})
	}
	return out
}

// villages makes n villages and communities under town t: a subdistrict
// (街道) has mostly communities, a town (镇) mostly villages, about 30 %
// communities overall.
func (g *gen) villages(t Region, n int) []Region {
	share := 15 // percent of communities in a 镇
	if isStreet(t.Name) {
		share = 75
	}
	comm := (n*share + g.r.IntN(100)) / 100
	return g.children(t, comm, n-comm, 1, 201, 3, villageNamer)
}

func isStreet(name string) bool {
	return len(name) > len("街道") && name[len(name)-len("街道"):] == "街道"
}

// suffixOf returns the administrative suffix of a generated name.
func suffixOf(name string) string {
	for _, s := range []string{"社区居委会", "村委会", "街道", "市", "区", "县", "镇"} {
		if len(name) > len(s) && name[len(name)-len(s):] == s {
			return s
		}
	}
	return ""
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func (g *gen) pick(pool []string) string { return pool[g.r.IntN(len(pool))] }

// Syllable pools. They avoid 社, so that no root reads as 社区.
var (
	descr = split("青柳荷桂禾杏枫竹梅兰松桑槐麦稻泉溪云月星晨金银玉石清明安和平永丰兴隆富康宁泰福瑞祥嘉新古东西南北前后上下长双三五七九高白黄红绿碧翠凤龙鹤鹿雁燕")
	place = split("湾塘桥港河圩墩岗坝埠沟店楼甸舍荡渡泾浜林园口岭坪山洲湖亭堡庄营集阁田洼垛坞岸")
	cityE = split("州阳川江陵城原宁昌安")
	distE = split("山湖林河台城阳溪浦港州江泽岭源")
	comE  = split("苑园里坊湾庭府城")
	names = split("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方姚谭廖邹熊陆郝孔崔康毛邱秦史顾侯邵孟万段钱汤尹黎易常武乔贺赖龚")
)

func split(s string) []string {
	var out []string
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

func cityNamer(g *gen, _ bool) (string, string) {
	return g.pick(descr) + g.pick(cityE) + "市", ""
}

func districtNamer(g *gen, county bool) (string, string) {
	if county {
		return g.pick(descr) + g.pick(distE) + "县", ""
	}
	return g.pick(descr) + g.pick(distE) + "区", ""
}

func townNamer(g *gen, town bool) (string, string) {
	if town {
		return g.pick(descr) + g.pick(place) + "镇", ""
	}
	return g.pick(descr) + g.pick(place) + "街道", ""
}

func villageNamer(g *gen, village bool) (string, string) {
	if village {
		if g.r.IntN(5) < 2 {
			return g.pick(names) + "家" + g.pick(place) + "村委会", KindVillage
		}
		return g.pick(descr) + g.pick(place) + "村委会", KindVillage
	}
	return g.pick(descr) + g.pick(comE) + "社区居委会", KindCommunity
}
