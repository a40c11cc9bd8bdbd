package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/typharender/typharender/internal/english"
	"github.com/typharender/typharender/internal/parallel"
	"github.com/typharender/typharender/internal/shell"
	"github.com/typharender/typharender/render"
)

// How Write writes a directory
//
// typharender owns, in the directory, only the files render.Layout writes:
// NN-<kind>-<name>.yaml and kustomization.yaml (one it wrote: apiVersion,
// kind and a list of NN- files; in a fleet root, those in each cluster's
// directory). Everything else (a README.md, a .gitkeep, other directories)
// is left alone. Files of its own that the rendering no longer has are
// removed, unchanged files are left untouched, and a path it must write
// that holds something it did not write (a person's kustomization.yaml, a
// directory named like an object file) is refused before anything changes.
//
// The directory itself is kept, so its mode, owner, ACLs and mounts stay
// as they are; only a missing directory is created (mode 0755 less the
// umask). The change is all or nothing: new files are written beside their
// targets under hidden temporary names (.NAME.typharender-*), and only when
// every one is written are they renamed into place, each previous file
// moved aside first. If a step fails, every step done is undone in reverse
// and the temporary files and created directories are removed, so the
// directory is as it was; if an undo step fails too, the error lists each
// leftover and the command that removes or restores it. The one thing not
// covered is the process being killed midway: run it again.

// treeFS is what writing a directory does to the file system: the
// functions of package os, or a test's that fail on demand.
type treeFS interface {
	Mkdir(path string) error
	// Create writes a file that must not exist yet.
	Create(path string, data []byte) error
	Rename(from, to string) error
	Remove(path string) error
}

type osFS struct{}

func (osFS) Mkdir(path string) error { return os.Mkdir(path, 0o755) }
func (osFS) Create(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}
func (osFS) Rename(from, to string) error { return os.Rename(from, to) }
func (osFS) Remove(path string) error     { return os.Remove(path) }

// treeFile is one file of the output directory that the rendering
// writes, changes or removes.
type treeFile struct {
	path   string // slash-separated, relative to the output directory
	data   []byte // the rendering's; nil for a file to remove
	old    []byte // the file's current content, when it exists
	exists bool
}

// treeScan is what writing files into dir would change.
type treeScan struct {
	dir       string
	exists    bool
	writes    []treeFile // new or changed files, in the rendering's order
	removes   []treeFile // files typharender wrote that the rendering no longer has, sorted
	conflicts []string   // paths typharender must write that hold something it did not write
	staleDirs []string   // fleet: cluster directories no longer in the fleet, removed when empty
}

// scanTree compares dir with files, the rendering (in a fleet, under one
// directory per cluster), reading only what typharender owns. It changes
// nothing.
func scanTree(layout *render.Layout, dir string, files []render.File, fleet bool) (*treeScan, error) {
	sc := &treeScan{dir: dir}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		for _, f := range files {
			sc.writes = append(sc.writes, treeFile{path: f.Name, data: f.Data})
		}
		return sc, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, errIsFile
	}
	sc.exists = true
	if !fleet {
		d := scanDir(layout, dir, "", files)
		if d.err != nil {
			return nil, d.err
		}
		sc.add(d)
		return sc, nil
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	isEntry := make(map[string]fs.DirEntry, len(entries))
	for _, e := range entries {
		isEntry[e.Name()] = e
	}
	type cluster struct {
		name  string
		files []render.File
	}
	var clusters []cluster
	for _, f := range files {
		name, rest, _ := strings.Cut(f.Name, "/")
		if len(clusters) == 0 || clusters[len(clusters)-1].name != name {
			clusters = append(clusters, cluster{name: name})
		}
		c := &clusters[len(clusters)-1]
		c.files = append(c.files, render.File{Name: rest, Data: f.Data})
	}
	inFleet := make(map[string]bool, len(clusters))
	for _, c := range clusters {
		inFleet[c.name] = true
	}
	scans := make([]dirScan, len(clusters))
	if err := parallel.For(len(clusters), func(i int) error {
		c := clusters[i]
		switch e, ok := isEntry[c.name]; {
		case !ok:
			for _, f := range c.files {
				scans[i].writes = append(scans[i].writes, treeFile{path: c.name + "/" + f.Name, data: f.Data})
			}
		case !e.IsDir():
			scans[i].conflicts = []string{c.name}
		default:
			scans[i] = scanDir(layout, filepath.Join(dir, c.name), c.name+"/", c.files)
		}
		return scans[i].err
	}); err != nil {
		return nil, err
	}
	for _, d := range scans {
		sc.add(d)
	}
	// A directory that is not in the fleet is a cluster typharender wrote
	// before only if it holds typharender's kustomization.yaml.
	for _, e := range entries {
		if !e.IsDir() || inFleet[e.Name()] {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		k, err := os.ReadFile(filepath.Join(sub, "kustomization.yaml"))
		if err != nil || !layout.Owns("kustomization.yaml", k) {
			continue
		}
		d := scanDir(layout, sub, e.Name()+"/", nil)
		if d.err != nil {
			return nil, d.err
		}
		sc.add(d)
		sc.staleDirs = append(sc.staleDirs, e.Name())
	}
	return sc, nil
}

var errIsFile = errors.New("is a file")

type dirScan struct {
	writes, removes []treeFile
	conflicts       []string
	err             error
}

func (sc *treeScan) add(d dirScan) {
	sc.writes = append(sc.writes, d.writes...)
	sc.removes = append(sc.removes, d.removes...)
	sc.conflicts = append(sc.conflicts, d.conflicts...)
}

// scanDir compares one directory, which exists, with files; prefix is
// the directory's path in the output directory.
func scanDir(layout *render.Layout, dir, prefix string, files []render.File) dirScan {
	var d dirScan
	entries, err := os.ReadDir(dir)
	if err != nil {
		return dirScan{err: err}
	}
	wanted := make(map[string]bool, len(files))
	for _, f := range files {
		wanted[f.Name] = true
	}
	old := map[string][]byte{}
	conflict := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.Type().IsRegular():
			if wanted[name] {
				d.conflicts = append(d.conflicts, prefix+name)
				conflict[name] = true
			}
		case wanted[name] || layout.Owns(name, nil) || name == "kustomization.yaml":
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return dirScan{err: err}
			}
			switch {
			case !layout.Owns(name, data):
				if wanted[name] {
					d.conflicts = append(d.conflicts, prefix+name)
					conflict[name] = true
				}
			case wanted[name]:
				old[name] = data
			default:
				d.removes = append(d.removes, treeFile{path: prefix + name, old: data, exists: true})
			}
		}
	}
	for _, f := range files {
		o, ok := old[f.Name]
		if ok && bytes.Equal(o, f.Data) || conflict[f.Name] {
			continue
		}
		d.writes = append(d.writes, treeFile{path: prefix + f.Name, data: f.Data, old: o, exists: ok})
	}
	return d
}

// Result is what a [Write] did: the files it wrote (new or changed) and
// removed, as paths under its directory, in order.
type Result struct {
	Written, Removed []string
}

// ErrWrite is wrapped by the error of a [Write] that failed while it
// changed the directory (a file system error, not a refusal): the error
// says whether the directory is as it was, and if not, what to run.
var ErrWrite = errors.New("cannot write the directory")

// writeError marks a failure while writing; its text is the cause's.
type writeError struct{ err error }

func (e *writeError) Error() string        { return e.err.Error() }
func (e *writeError) Unwrap() error        { return e.err }
func (e *writeError) Is(target error) bool { return target == ErrWrite }

// Write makes dir hold files, the files of a [render.Layout] (for a fleet,
// each under a directory named for its cluster: NAME/00-service-...yaml),
// as the comment at the top of this file describes: all or nothing,
// touching only the files typharender owns. Every error starts with dir.
// A directory that cannot hold the files (a file, a path it would
// overwrite that typharender did not write) is refused before anything
// changes; a failure while writing wraps [ErrWrite]. When everything was
// written but a previous file could not be removed, Result is filled in
// and the error (wrapping ErrWrite) says what to run.
func Write(dir string, files []render.File, fleet bool) (*Result, error) {
	return writeFS(osFS{}, dir, files, fleet)
}

func writeFS(fsys treeFS, dir string, files []render.File, fleet bool) (*Result, error) {
	dir = filepath.Clean(dir)
	var layout render.Layout
	sc, err := scanTree(&layout, dir, files, fleet)
	switch {
	case errors.Is(err, errIsFile):
		return nil, fmt.Errorf("%s: is a file: want a directory, new or holding typharender's output", dir)
	case err != nil:
		return nil, fmt.Errorf("%s: %w: want a path to a new or existing directory", dir, unwrapPathError(err))
	case len(sc.conflicts) > 0:
		paths := make([]string, len(sc.conflicts))
		for i, c := range sc.conflicts {
			paths[i] = joinPath(dir, c)
		}
		where := ""
		if fleet {
			where = " in one directory per cluster"
		}
		return nil, fmt.Errorf("%s: typharender would overwrite %s, which it did not write: move or rename that, or choose another directory (typharender writes NN-<kind>-<name>.yaml files and a kustomization.yaml that lists only them%s, and leaves every other file alone)", dir, quoteList(paths), where)
	}
	w := &treeWrite{fsys: fsys, dir: dir, scan: sc}
	if err := w.run(); err != nil {
		return nil, &writeError{fmt.Errorf("%s: %w", dir, err)}
	}
	res := &Result{}
	for _, f := range sc.writes {
		res.Written = append(res.Written, joinPath(dir, f.path))
	}
	for _, r := range sc.removes {
		res.Removed = append(res.Removed, joinPath(dir, r.path))
	}
	if len(w.leftovers) > 0 {
		return res, &writeError{fmt.Errorf("%s: written, but %s", dir, w.leftoverText())}
	}
	return res, nil
}

// Lines say what the Write of files did, a line per file: "removed
// PATH" for each file removed, "wrote PATH" for each written, then "left
// N files as rendered already, unchanged" when some were.
func (r *Result) Lines(files []render.File) []string {
	var lines []string
	for _, p := range r.Removed {
		lines = append(lines, "removed "+p)
	}
	for _, p := range r.Written {
		lines = append(lines, "wrote "+p)
	}
	if same := len(files) - len(r.Written); same > 0 {
		lines = append(lines, "left "+english.Count(same, "file")+" as rendered already, unchanged")
	}
	return lines
}

// Summary is one line for a directory written, for fleets of thousands of
// clusters: "wrote 50000 files for 10000 clusters into fleet/ (removed
// 2)", or "wrote 3 files for 10000 clusters into fleet/ (49997
// unchanged)". files are what was given to Write.
func (r *Result) Summary(dir string, files []render.File, fleet bool) string {
	line := "wrote " + english.Count(len(r.Written), "file")
	if fleet {
		clusters := map[string]bool{}
		for _, fl := range files {
			name, _, _ := strings.Cut(fl.Name, "/")
			clusters[name] = true
		}
		line += " for " + english.Count(len(clusters), "cluster")
	}
	line += " into " + dir
	var notes []string
	if same := len(files) - len(r.Written); same > 0 {
		notes = append(notes, fmt.Sprintf("%d unchanged", same))
	}
	if len(r.Removed) > 0 {
		notes = append(notes, fmt.Sprintf("removed %d", len(r.Removed)))
	}
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, ", ") + ")"
	}
	return line
}

// treeWrite is one write of a directory, with what it has done so far.
type treeWrite struct {
	fsys treeFS
	dir  string
	scan *treeScan

	created []string    // directories created, in order
	steps   []*fileStep // one per file written or removed
	// leftovers are the commands that clean up what could not be undone or
	// removed, one per path.
	leftovers []string
}

// fileStep is one file to write or remove.
type fileStep struct {
	final      string // the file's path
	tmp        string // the new content under a temporary name; "" to remove
	direct     bool   // written at final directly, in a directory this write created
	backup     string // where the previous file goes; "" when there is none
	movedIn    bool   // tmp renamed to final (or written there directly)
	movedAside bool   // final moved to backup
}

func (w *treeWrite) path(rel string) string { return joinPath(w.dir, rel) }

func (w *treeWrite) run() error {
	sc := w.scan
	if err := w.mkdirs(); err != nil {
		return w.undo(err)
	}
	newDir := make(map[string]bool, len(w.created))
	for _, d := range w.created {
		newDir[d] = true
	}
	for _, f := range sc.writes {
		final := w.path(f.path)
		w.steps = append(w.steps, &fileStep{final: final, direct: newDir[filepath.Dir(final)]})
	}
	for _, f := range sc.removes {
		w.steps = append(w.steps, &fileStep{final: w.path(f.path)})
	}
	// Stage: every new file under a temporary name (or, in a new
	// directory, in place), and a reserved name for each previous file.
	// A fleet is tens of thousands of files: write them on every core.
	if err := parallel.For(len(w.steps), func(i int) error {
		s := w.steps[i]
		exists := i >= len(sc.writes) || sc.writes[i].exists
		var data []byte
		if i < len(sc.writes) {
			data = sc.writes[i].data
		}
		if s.direct {
			if err := w.fsys.Create(s.final, data); err != nil {
				return fmt.Errorf("writing %s: %s", s.final, why(err))
			}
			s.movedIn = true
			return nil
		}
		if i < len(sc.writes) {
			tmp, err := w.createTemp(s.final, data)
			s.tmp = tmp
			if err != nil {
				return fmt.Errorf("writing %s: %s", s.final, why(err))
			}
		}
		if exists {
			backup, err := w.createTemp(s.final, nil)
			s.backup = backup
			if err != nil {
				return fmt.Errorf("moving %s aside: %s", s.final, why(err))
			}
		}
		return nil
	}); err != nil {
		return w.undo(err)
	}
	// Commit, in order: the previous file aside, the new one in.
	for _, s := range w.steps {
		if s.backup != "" {
			if err := w.fsys.Rename(s.final, s.backup); err != nil {
				return w.undo(fmt.Errorf("moving %s aside: %s", s.final, why(err)))
			}
			s.movedAside = true
		}
		if s.tmp != "" {
			if err := w.fsys.Rename(s.tmp, s.final); err != nil {
				return w.undo(fmt.Errorf("writing %s: %s", s.final, why(err)))
			}
			s.movedIn = true
		}
	}
	// Done: remove the previous files, and the directories of clusters no
	// longer in the fleet when nothing else is in them.
	for _, s := range w.steps {
		if s.backup != "" {
			w.remove(s.backup)
		}
	}
	for _, d := range sc.staleDirs {
		p := w.path(d)
		if err := w.fsys.Remove(p); err != nil && w.onlyLeftovers(p) {
			w.leftovers = append(w.leftovers, "rmdir "+shell.Quote(p))
		}
	}
	return nil
}

// onlyLeftovers reports whether the directory p holds nothing but files
// this write failed to remove (and so, once they are, can be removed),
// or nothing at all.
func (w *treeWrite) onlyLeftovers(p string) bool {
	entries, err := os.ReadDir(p)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !slices.Contains(w.leftovers, "rm -f "+shell.Quote(filepath.Join(p, e.Name()))) {
			return false
		}
	}
	return true
}

// mkdirs creates the output directory and its missing parents, and the
// fleet's new cluster directories.
func (w *treeWrite) mkdirs() error {
	var missing []string
	if !w.scan.exists {
		for p := w.dir; ; p = filepath.Dir(p) {
			if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
				break
			}
			missing = append(missing, p)
		}
		slices.Reverse(missing)
	}
	seen := map[string]bool{}
	for _, f := range w.scan.writes {
		d := filepath.Dir(w.path(f.path))
		if d == w.dir || seen[d] {
			continue
		}
		seen[d] = true
		if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, d)
		}
	}
	for _, d := range missing {
		if err := w.fsys.Mkdir(d); err != nil {
			return fmt.Errorf("creating %s: %s", d, why(err))
		}
		w.created = append(w.created, d)
	}
	return nil
}

// createTemp writes data to a new hidden file beside final and returns its
// path.
func (w *treeWrite) createTemp(final string, data []byte) (string, error) {
	prefix := "." + filepath.Base(final) + ".typharender-"
	for {
		p := filepath.Join(filepath.Dir(final), prefix+strconv.FormatUint(rand.Uint64(), 36))
		err := w.fsys.Create(p, data)
		if !errors.Is(err, fs.ErrExist) {
			return p, err
		}
	}
}

// undo reverses every step done, removes what was staged and the
// directories created, and returns err, the cause, with what could not be
// undone.
func (w *treeWrite) undo(err error) error {
	for i := len(w.steps) - 1; i >= 0; i-- {
		s := w.steps[i]
		switch {
		case s.movedIn && s.backup != "" && s.movedAside:
			if rerr := w.fsys.Rename(s.backup, s.final); rerr != nil {
				w.leftovers = append(w.leftovers, "mv -f "+shell.Quote(s.backup)+" "+shell.Quote(s.final))
			}
		case s.movedIn:
			w.remove(s.final)
		case s.movedAside:
			if rerr := w.fsys.Rename(s.backup, s.final); rerr != nil {
				w.leftovers = append(w.leftovers, "mv -f "+shell.Quote(s.backup)+" "+shell.Quote(s.final))
			}
		}
		if s.tmp != "" && !s.movedIn {
			w.remove(s.tmp)
		}
		if s.backup != "" && !s.movedAside {
			w.remove(s.backup)
		}
	}
	for i := len(w.created) - 1; i >= 0; i-- {
		if rerr := w.fsys.Remove(w.created[i]); rerr != nil {
			w.leftovers = append(w.leftovers, "rmdir "+shell.Quote(w.created[i]))
		}
	}
	if len(w.leftovers) == 0 {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	return fmt.Errorf("%w; the directory could not be restored in full: %s", err, w.leftoverText())
}

func (w *treeWrite) remove(p string) {
	if err := w.fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.leftovers = append(w.leftovers, "rm -f "+shell.Quote(p))
	}
}

func (w *treeWrite) leftoverText() string {
	return fmt.Sprintf("%s left behind; to finish, run:\n  %s", english.Count(len(w.leftovers), "path"), strings.Join(w.leftovers, "\n  "))
}

func quoteList(paths []string) string {
	const show = 3
	q := make([]string, 0, show)
	for i, p := range paths {
		if i == show {
			q = append(q, fmt.Sprintf("and %d more", len(paths)-show))
			break
		}
		q = append(q, fmt.Sprintf("%q", p))
	}
	return strings.Join(q, ", ")
}

// joinPath joins dir and a slash-separated relative path for messages.
func joinPath(dir, rel string) string {
	return filepath.Join(dir, filepath.FromSlash(rel))
}

// withoutCRLF returns file with CRLF line endings made LF and, if it had
// any, a note that says so.
func withoutCRLF(file []byte) (lf []byte, note string) {
	if !bytes.Contains(file, []byte("\r\n")) {
		return file, ""
	}
	return bytes.ReplaceAll(file, []byte("\r\n"), []byte("\n")), "; the file also has CRLF line endings, which the diff leaves out"
}

// unwrapPathError drops the operation and path os errors repeat.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// why is err without the operation and path a *fs.PathError or an
// *os.LinkError repeats: "permission denied".
func why(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// crlfOnly reports whether file, a file's content, differs from rendered
// only in ending its lines with CRLF where rendered has LF.
func crlfOnly(file, rendered []byte) bool {
	return bytes.Contains(file, []byte("\r\n")) && bytes.Equal(bytes.ReplaceAll(file, []byte("\r\n"), []byte("\n")), rendered)
}
