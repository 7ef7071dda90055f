// Package testpg runs private, throw-away PostgreSQL clusters for tests that need a real PostgreSQL.
//
// One cluster serves a whole test binary: it is started by the first New and stopped by Run,
// which the package's TestMain calls. Each test gets a database of its own, created empty and
// dropped at its end, so tests are isolated without paying for an initdb each.
//
// A test that stops PostgreSQL itself, as an outage test does, takes a cluster of its own with
// Private instead: it may Stop and Start it again on the same port and data directory, and the
// cluster is removed at the test's end. Such a cluster costs an initdb (a second or two).
package testpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTimeout bounds how long a started postgres may take to accept connections.
const startTimeout = 60 * time.Second

// superuser is the role initdb makes; trust authentication lets it in without a password.
const superuser = "postgres"

var (
	managed atomic.Bool // Run is in charge of stopping the shared cluster

	toolsOnce  sync.Once
	tools      *toolchain
	toolsErr   error
	skipReason string // set when PostgreSQL is missing and not required

	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error

	databases atomic.Int64 // names databases apart across all clusters of the binary
)

// Run runs the tests and then stops the cluster New started, returning m.Run's code. A package
// whose tests call New uses it as its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testpg.Run(m)) }
func Run(m *testing.M) int {
	managed.Store(true)
	code := m.Run()
	if shared != nil {
		shared.remove()
	}
	return code
}

// New returns the URL of a new, empty database in the test binary's cluster, dropped at
// t.Cleanup; the cluster is started on first use. Without the PostgreSQL server binaries
// (initdb, postgres) New tries `apt-get install postgresql` once (as root), and then skips the
// test, or fails it when TECHMATCH_REQUIRE_POSTGRES=1 (CI sets it so that PostgreSQL tests
// cannot silently vanish).
func New(t testing.TB) string {
	t.Helper()
	if !managed.Load() {
		t.Fatal("testpg: the package's TestMain must run its tests with testpg.Run, which stops the cluster")
	}
	tc := toolchainFor(t)
	sharedOnce.Do(func() { shared, sharedErr = newCluster(tc) })
	if sharedErr != nil {
		t.Fatalf("testpg: %v", sharedErr)
	}
	name := shared.create(t)
	t.Cleanup(func() {
		if err := shared.admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return shared.URL(name)
}

// Private starts a cluster of t's own on a free loopback port, which t may Stop and Start, and
// removes it, data and all, at t.Cleanup. It finds, installs or misses the binaries as New
// does, and skips or fails t alike. It needs no TestMain: the cluster ends with the test, or
// with the test binary when no cleanup runs.
func Private(t testing.TB) *Cluster {
	t.Helper()
	c, err := newCluster(toolchainFor(t))
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	c.t = t
	t.Cleanup(c.remove)
	return c
}

// Cluster is one postgres process serving a data directory in a temporary directory, on one
// loopback port for its whole life.
type Cluster struct {
	t    testing.TB // the owner of a Private cluster; nil for the shared one
	tc   *toolchain
	dir  string // owns data/, the socket and the logs
	port int

	mu     sync.Mutex
	proc   *os.Process // nil while stopped
	exited chan error  // receives the process's exit once
	runs   int
}

// URL is the address of database db in the cluster, for the superuser, without TLS.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, c.port, db)
}

// NewDatabase makes a new, empty database in a Private cluster and returns its URL. It goes
// with the cluster: a test may stop the cluster at any time, so nothing is dropped at its end.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	return c.URL(c.create(t))
}

// Stop shuts postgres down and waits until it has exited. It is a fast shutdown, what `pg_ctl
// stop` does by default: new connections are refused at once, sessions are ended, a checkpoint
// is written. The port and the data stay the cluster's, for Start. Stopping a stopped cluster
// does nothing.
//
// It is not an immediate shutdown (a crash), on purpose: the cluster runs with
// synchronous_commit off, so a crash may lose commits a client saw succeed, which a test would
// take for the fault of the program under test.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return
	}
	_ = c.proc.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.proc.Kill()
		<-c.exited
	}
	c.proc, c.exited = nil, nil
}

// Start starts a stopped cluster again on its port and data directory and waits until it
// accepts connections, or fails the test; the databases made before are there as they were.
// Starting a running cluster does nothing.
func (c *Cluster) Start() {
	c.t.Helper()
	// The port was ours a moment ago; another process can only have taken it in the meantime,
	// so a failure here is worth a few tries rather than a new port, which would change URLs.
	var err error
	for range 5 {
		if err = c.run(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("testpg: start again on port %d: %v", c.port, err)
}

// create makes a new, empty database in c and returns its name.
func (c *Cluster) create(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", databases.Add(1))
	// The name is ours and made of [a-z0-9]: there is nothing to quote. The database sorts text
	// by a language's rules (ICU's en-US), as production databases made in a UTF-8 locale do,
	// not bytewise as the cluster's C locale would: a store that needs bytewise order must ask
	// for it. Without ICU support it gets the cluster's default.
	if err := c.admin("CREATE DATABASE " + name + " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"); err != nil {
		if err := c.admin("CREATE DATABASE " + name); err != nil {
			t.Fatalf("testpg: %v", err)
		}
	}
	return name
}

// toolchainFor finds (or installs) the binaries once per test binary, and skips or fails t
// when there are none.
func toolchainFor(t testing.TB) *toolchain {
	t.Helper()
	toolsOnce.Do(func() { tools, skipReason, toolsErr = findToolchain() })
	switch {
	case skipReason != "" && os.Getenv("TECHMATCH_REQUIRE_POSTGRES") == "1":
		t.Fatalf("testpg: %s and TECHMATCH_REQUIRE_POSTGRES=1", skipReason)
	case skipReason != "":
		t.Skipf("testpg: %s", skipReason)
	case toolsErr != nil:
		t.Fatalf("testpg: %v", toolsErr)
	}
	return tools
}

// Refuse makes the database at dbURL refuse new connections and ends the ones it has, as a
// server going away does, until restore is called. It is for outage tests.
func Refuse(t testing.TB, dbURL string) (restore func()) {
	t.Helper()
	name := databaseOf(t, dbURL)
	for _, q := range []string{
		"ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "' AND pid <> pg_backend_pid()",
	} {
		if err := shared.admin(q); err != nil {
			t.Fatalf("testpg: refuse %s: %v", name, err)
		}
	}
	return func() {
		t.Helper()
		if err := shared.admin("ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS true"); err != nil {
			t.Fatalf("testpg: allow %s: %v", name, err)
		}
	}
}

// Exec runs query (one or more statements, no parameters) on the database at dbURL over a
// connection of its own, outside whatever the test is testing.
func Exec(t testing.TB, dbURL, query string) {
	t.Helper()
	if err := execOn(dbURL, query); err != nil {
		t.Fatalf("testpg: %v", err)
	}
}

func databaseOf(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || shared == nil {
		t.Fatalf("testpg: %q is not a database New made", dbURL)
	}
	// Only names New made, t and digits, go into the statements unquoted.
	name := strings.TrimPrefix(u.Path, "/")
	if _, err := strconv.ParseUint(strings.TrimPrefix(name, "t"), 10, 64); err != nil || !strings.HasPrefix(name, "t") {
		t.Fatalf("testpg: %q is not a database New made", dbURL)
	}
	return name
}

func execOn(dbURL, query string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// The simple protocol runs several statements in one call.
	if _, err := conn.Exec(ctx, query, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func (c *Cluster) admin(query string) error { return execOn(c.URL("postgres"), query) }

// remove stops the cluster and removes its directory.
func (c *Cluster) remove() {
	c.Stop()
	_ = os.RemoveAll(c.dir)
}

// toolchain is what running PostgreSQL takes: the directory of initdb and postgres, and who
// they run as (nil: the test binary's user).
type toolchain struct {
	bin   string
	owner *syscall.Credential
}

// findToolchain finds or installs the binaries. skip is why there is no PostgreSQL to test with.
func findToolchain() (tc *toolchain, skip string, err error) {
	bin, err := binDir()
	if err != nil {
		if out, ierr := install(); ierr != nil {
			return nil, fmt.Sprintf("PostgreSQL server binaries not found (%v), and apt-get install postgresql failed: %v\n%s", err, ierr, out), nil
		}
		if bin, err = binDir(); err != nil {
			return nil, fmt.Sprintf("PostgreSQL server binaries not found after apt-get install postgresql: %v", err), nil
		}
	}
	owner, err := runAs()
	if err != nil {
		return nil, "", err
	}
	return &toolchain{bin: bin, owner: owner}, "", nil
}

// newCluster makes a cluster with initdb and starts postgres on a free loopback port.
func newCluster(tc *toolchain) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", "testpg-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{tc: tc, dir: dir}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	if tc.owner != nil {
		// initdb and postgres refuse to run as root, and want their directories to be theirs.
		if err := os.Chown(dir, int(tc.owner.Uid), int(tc.owner.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(tc.bin, "initdb"), "-D", c.data(), "-U", superuser, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: tc.owner}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// A free port found by listening on :0 can be taken by someone else before postgres binds
	// it, so a failed start is retried on a new port.
	for range 3 {
		if c.port, err = freePort(); err != nil {
			continue
		}
		if err = c.run(); err == nil {
			return c, nil
		}
	}
	return nil, err
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run starts postgres and waits until it accepts connections; it does nothing while postgres runs.
//
// postgres runs as a child of the test binary, not daemonised by pg_ctl, so that it ends with
// the binary even when no cleanup runs (a test timeout's panic, a kill): the kernel sends it
// SIGQUIT, PostgreSQL's immediate shutdown, when the thread that started it ends. That thread
// stays locked to the goroutine waiting for the process, so it ends when the process does.
func (c *Cluster) run() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		return nil
	}
	c.runs++
	logPath := filepath.Join(c.dir, fmt.Sprintf("postgres-%d-%d.log", c.port, c.runs))
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(c.tc.bin, "postgres"), "-D", c.data(), "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+c.dir,
		// Durability is of no use to a throw-away cluster, and costs the tests time.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB", "-c", "max_connections=200",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.tc.owner, Pdeathsig: syscall.SIGQUIT}
	started, exited := make(chan error, 1), make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after the process
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("run %s: %w", cmd.Path, err)
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres on port %d exited: %v\n%s", c.port, err, out)
		default:
		}
		if ours, err := c.serves(); err == nil && ours {
			c.proc, c.exited = cmd.Process, exited
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return fmt.Errorf("postgres on port %d did not accept connections within %s", c.port, startTimeout)
}

// serves reports whether the server on c's port is the one serving data: another one that took
// the port first is not ours.
func (c *Cluster) serves() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return false, err
	}
	defer conn.Close(ctx)
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return false, err
	}
	return dir == c.data(), nil
}

// binDir finds the directory of initdb and postgres: on PATH, or where Debian installs them
// (/usr/lib/postgresql/VERSION/bin, the newest version).
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range dirs {
		_, e1 := os.Stat(filepath.Join(dir, "initdb"))
		_, e2 := os.Stat(filepath.Join(dir, "postgres"))
		if e1 == nil && e2 == nil {
			return dir, nil
		}
	}
	return "", errors.New("no initdb and postgres on PATH or under /usr/lib/postgresql/*/bin")
}

// install runs `apt-get install postgresql` when it can: as root, on a system with apt-get.
// Test binaries of several packages may try at once, so it waits for dpkg's lock.
func install() ([]byte, error) {
	apt, err := exec.LookPath("apt-get")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	cmd := exec.Command(apt, "install", "-y", "-q", "--no-install-recommends",
		"-o", "DPkg::Lock::Timeout=300", "postgresql")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.CombinedOutput()
}

// runAs is who initdb and postgres run as: nobody else when the tests run as an ordinary
// user, and the postgres user when they run as root, which PostgreSQL refuses.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs another user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
