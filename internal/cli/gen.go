package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/lawvillage/lawvillage/internal/gen"
)

// genCmd generates a synthetic district, city or province into an empty database.
func genCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(errw)
	scale := fs.String("scale", gen.ScaleDistrict, "what to generate: district (~210 villages), city (~1,700) or province (22,000)")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same data")
	years := fs.Int("years", 5, "years of records, ending with the current year")
	households := fs.Int("households", 1000, "average households per village (each varies ±40%)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (usage: lawvillage gen [--scale district|city|province] [--seed N] [--years N])", fs.Args())
	}
	switch *scale {
	case gen.ScaleDistrict, gen.ScaleCity, gen.ScaleProvince:
	default:
		return fmt.Errorf("--scale: %q is not district, city or province", *scale)
	}
	m, err := open(ctx, true)
	if err != nil {
		return err
	}
	defer m.Close()
	st, err := gen.Load(ctx, m.DB, gen.LoadOptions{Scale: *scale, Seed: *seed, Years: *years,
		HouseholdsPerVillage: *households}, errw)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "generated %s %s: %d villages, %d rows in %.1fs\n", st.Scale, st.Area, st.Villages, st.Total(), st.Seconds)
	return nil
}
