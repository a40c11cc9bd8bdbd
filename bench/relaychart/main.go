// Command relaychart draws the relay benchmark's chart (SVG, or PNG when the
// output's name ends in .png) from its JSON result
// (docs/relay/relay.json, written by BenchmarkRelay in the e2e module):
// WATCH requests on the API server against the number of Felix agents,
// direct and through the rendered Typha replicas, and how long a
// NetworkPolicy change took to reach every agent (p50, p99, max).
//
//	go run ./relaychart -in ../docs/relay/relay.json -out ../docs/relay/relay.svg
//
// The same JSON gives the same SVG bytes. It lives in the bench module so
// that gonum.org/v1/plot stays out of the library's go.mod (and out of the
// e2e module's, whose go.sum keys the cached kube-apiserver build).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// result is what the chart reads of the benchmark's JSON (see
// relayResult in e2e/relay_bench_test.go).
type result struct {
	Started string `json:"started"`
	Machine struct {
		CPUs      int     `json:"cpus"`
		CPUModel  string  `json:"cpuModel"`
		MemoryGiB float64 `json:"memoryGiB"`
	} `json:"machine"`
	Versions map[string]string `json:"versions"`
	Objects  struct {
		Nodes    int `json:"nodes"`
		Pods     int `json:"pods"`
		Policies int `json:"policies"`
	} `json:"objects"`
	Direct  []phase `json:"direct"`
	Typha   []phase `json:"typha"`
	Summary struct {
		DirectFit struct {
			Slope     float64 `json:"slope"`
			Intercept float64 `json:"intercept"`
			Points    int     `json:"points"`
		} `json:"directWatchesFit"`
		RatioAt1000 *float64 `json:"ratioAt1000Percent"`
		P99Goal     float64  `json:"propagationP99GoalSeconds"`
	} `json:"summary"`
}

type phase struct {
	Clients     int                    `json:"clients"`
	LoadAverage [2][3]float64          `json:"loadAverage"` // 1, 5, 15 min at the start and the end
	Replicas    int                    `json:"replicas"`
	Watches     int                    `json:"watches"`
	Propagation map[string]percentiles `json:"propagation"`
	Error       string                 `json:"error"`
}

type percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func main() {
	in := flag.String("in", "", "the benchmark's JSON result")
	out := flag.String("out", "", "the SVG to write")
	flag.Parse()
	if *in == "" || *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "relaychart: want -in RESULT.json -out CHART.svg")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintf(os.Stderr, "relaychart: %v\n", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var res result
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("%s: %v", in, err)
	}
	direct, typha := finished(res.Direct), finished(res.Typha)
	if len(direct) == 0 || len(typha) == 0 {
		return fmt.Errorf("%s: want at least one finished phase direct and one through Typha (have %d and %d)", in, len(direct), len(typha))
	}
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	if err := draw2(f, strings.HasSuffix(out, ".png"), res, direct, typha); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// finished are the phases that measured, by number of agents.
func finished(ps []phase) []phase {
	var out []phase
	for _, p := range ps {
		if p.Error == "" && p.Clients > 0 {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Clients < out[j].Clients })
	return out
}

var (
	directColor = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}
	typhaColor  = color.RGBA{R: 0x1f, G: 0x6f, B: 0xb5, A: 0xff}
	goalColor   = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
)

// draw2 draws both plots side by side: an SVG, or with png a PNG.
func draw2(w io.Writer, png bool, res result, direct, typha []phase) error {
	maxN := float64(max(direct[len(direct)-1].Clients, typha[len(typha)-1].Clients))
	watches, err := watchesPlot(res, direct, typha, maxN)
	if err != nil {
		return err
	}
	prop, err := propagationPlot(res, direct, typha, maxN)
	if err != nil {
		return err
	}
	const width, height = 30 * vg.Centimeter, 13 * vg.Centimeter
	var img interface {
		vg.CanvasSizer
		io.WriterTo
	} = vgsvg.New(width, height)
	if png {
		img = vgimg.PngCanvas{Canvas: vgimg.New(width, height)}
	}
	dc := draw.New(img)
	title := fmt.Sprintf("Felix 3.24.5 (felixsim), kube-apiserver %s, Typha %s; %d nodes, %d pods, %d NetworkPolicies; one machine, %d CPUs, %.0f GiB%s; %s",
		res.Versions["kubeApiserver"], typhaVersion(res), res.Objects.Nodes, res.Objects.Pods, res.Objects.Policies, res.Machine.CPUs, res.Machine.MemoryGiB, loadRange(direct, typha), res.Started)
	header := vg.Points(14)
	dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(9)), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter},
		vg.Point{X: width / 2, Y: height - header/2 - vg.Points(3)}, title)
	body := draw.Crop(dc, 0, 0, 0, -header)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 6, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter * 2}
	cs := plot.Align([][]*plot.Plot{{watches, prop}}, tiles, body)
	watches.Draw(cs[0][0])
	prop.Draw(cs[0][1])
	_, err = img.WriteTo(w)
	return err
}

// loadRange is the range of the 1-minute load average at the phases'
// starts and ends (", load average 8.1 to 20.4"), empty when none was read.
func loadRange(sets ...[]phase) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ps := range sets {
		for _, p := range ps {
			for _, l := range p.LoadAverage {
				if l[0] > 0 {
					lo, hi = math.Min(lo, l[0]), math.Max(hi, l[0])
				}
			}
		}
	}
	if lo > hi {
		return ""
	}
	return fmt.Sprintf(", load average %.1f to %.1f", lo, hi)
}

// typhaVersion is the Typha version the run recorded: calico-typha
// --version prints "Version: v3.24.5" on its first line, then the commit
// and build date lines (empty in a build from the tarball).
func typhaVersion(res result) string {
	v, _, _ := strings.Cut(strings.TrimSpace(res.Versions["typha"]), "\n")
	if v = strings.TrimSpace(strings.TrimPrefix(v, "Version:")); v != "" {
		return v
	}
	return "(unknown)"
}

// newPlot is a plot with both axes logarithmic (ticks at powers of ten),
// the legend top left, and small type.
func newPlot(title, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "Felix agents", y
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Title.TextStyle.Font.Size = vg.Points(10)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(9)
		a.Tick.Label.Font.Size = vg.Points(8)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(2)
	return p
}

func watchesPlot(res result, direct, typha []phase, maxN float64) (*plot.Plot, error) {
	p := newPlot("WATCH requests the API server serves", "apiserver_longrunning_requests, verb WATCH")

	fit := res.Summary.DirectFit
	if fit.Points >= 2 {
		line := plotter.XYs{}
		for _, x := range []float64{float64(direct[0].Clients), maxN} {
			line = append(line, plotter.XY{X: x, Y: fit.Intercept + fit.Slope*x})
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes = directColor, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("direct, fit: %.1f per agent + %.0f", fit.Slope, fit.Intercept), l)
	}
	dp, err := points(direct, func(ph phase) float64 { return float64(ph.Watches) })
	if err != nil {
		return nil, err
	}
	ds, err := plotter.NewScatter(dp)
	if err != nil {
		return nil, err
	}
	ds.Color, ds.Shape = directColor, draw.CircleGlyph{}
	p.Add(ds)
	p.Legend.Add("direct (measured)", ds)

	tp, err := points(typha, func(ph phase) float64 { return float64(ph.Watches) })
	if err != nil {
		return nil, err
	}
	tl, ts, err := plotter.NewLinePoints(tp)
	if err != nil {
		return nil, err
	}
	tl.Color, ts.Color, ts.Shape = typhaColor, typhaColor, draw.BoxGlyph{}
	p.Add(tl, ts)
	name := "through the rendered Typha replicas (R)"
	if r := res.Summary.RatioAt1000; r != nil {
		name += fmt.Sprintf("; at 1,000: %.2f%% of direct", *r)
	}
	p.Legend.Add(name, tl, ts)
	labels := make([]string, len(typha))
	for i, ph := range typha {
		labels[i] = fmt.Sprintf("R=%d", ph.Replicas)
	}
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: tp, Labels: labels})
	if err != nil {
		return nil, err
	}
	lb.Offset = vg.Point{X: vg.Points(3), Y: vg.Points(4)}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Color = typhaColor
	}
	p.Add(lb)
	p.X.Min, p.X.Max = lowerPow10(float64(min(direct[0].Clients, typha[0].Clients))), upperPow10(maxN)
	p.Y.Min = lowerPow10(float64(typha[0].Watches) / 2)
	p.Y.Max = upperPow10(max(fit.Intercept+fit.Slope*maxN, float64(direct[len(direct)-1].Watches))) * 10 // room for the legend
	return p, nil
}

func propagationPlot(res result, direct, typha []phase, maxN float64) (*plot.Plot, error) {
	p := newPlot("A NetworkPolicy created, changed, deleted: until every agent has it", "seconds (p50, p99, max over agents and changes)")
	lo, hi := math.Inf(1), 0.0
	for _, s := range []struct {
		name   string
		phases []phase
		col    color.Color
	}{{"direct", direct, directColor}, {"through Typha", typha, typhaColor}} {
		for _, q := range []struct {
			name   string
			get    func(percentiles) float64
			dashes []vg.Length
			glyph  draw.GlyphDrawer
		}{
			{"p50", func(p percentiles) float64 { return p.P50 }, nil, draw.CircleGlyph{}},
			{"p99", func(p percentiles) float64 { return p.P99 }, []vg.Length{vg.Points(4), vg.Points(2)}, draw.BoxGlyph{}},
			{"max", func(p percentiles) float64 { return p.Max }, []vg.Length{vg.Points(1), vg.Points(2)}, draw.TriangleGlyph{}},
		} {
			var with []phase
			for _, ph := range s.phases {
				if _, ok := ph.Propagation["all"]; ok {
					with = append(with, ph)
				}
			}
			if len(with) == 0 {
				continue
			}
			xy, err := points(with, func(ph phase) float64 { return q.get(ph.Propagation["all"]) })
			if err != nil {
				return nil, err
			}
			for _, v := range xy {
				lo, hi = math.Min(lo, v.Y), math.Max(hi, v.Y)
			}
			l, sc, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes, sc.Color, sc.Shape = s.col, q.dashes, s.col, q.glyph
			p.Add(l, sc)
			p.Legend.Add(s.name+" "+q.name, l, sc)
		}
	}
	if res.Summary.P99Goal > 0 {
		goal, err := plotter.NewLine(plotter.XYs{{X: lowerPow10(float64(min(direct[0].Clients, typha[0].Clients))), Y: res.Summary.P99Goal}, {X: upperPow10(maxN), Y: res.Summary.P99Goal}})
		if err != nil {
			return nil, err
		}
		goal.Color, goal.Dashes = goalColor, []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(goal)
		p.Legend.Add(fmt.Sprintf("goal: p99 %.0f s at 1,000 through Typha", res.Summary.P99Goal), goal)
		hi = math.Max(hi, res.Summary.P99Goal)
	}
	if math.IsInf(lo, 1) || lo <= 0 {
		return nil, errors.New("no propagation figures")
	}
	p.X.Min, p.X.Max = lowerPow10(float64(min(direct[0].Clients, typha[0].Clients))), upperPow10(maxN)
	p.Y.Min, p.Y.Max = lowerPow10(lo), upperPow10(hi)*100 // room for the legend
	return p, nil
}

// points are (agents, y) of each phase; y must be positive (log axes).
func points(ps []phase, y func(phase) float64) (plotter.XYs, error) {
	xy := make(plotter.XYs, len(ps))
	for i, ph := range ps {
		xy[i] = plotter.XY{X: float64(ph.Clients), Y: y(ph)}
		if xy[i].Y <= 0 {
			return nil, fmt.Errorf("%d agents: a value of %v cannot be drawn on a logarithmic axis", ph.Clients, xy[i].Y)
		}
	}
	return xy, nil
}

func lowerPow10(v float64) float64 { return math.Pow(10, math.Floor(math.Log10(v))) }
func upperPow10(v float64) float64 { return math.Pow(10, math.Ceil(math.Log10(v))) }
