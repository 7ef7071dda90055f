package worklist

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateTarget is returned for a webhook target on a loopback, private, link-local or
// otherwise internal address: a webhook URL must not turn the server into a way to reach the
// services behind it (Redis on 127.0.0.1, cloud metadata on 169.254.169.254). Deployments
// whose receivers are internal set webhook.allow_private.
var ErrPrivateTarget = errors.New("webhook 地址是内部地址")

func privateTarget(what string) error {
	return fmt.Errorf("%w：%s 是回环、私有、链路本地或保留地址；如确需推送到内网，请设置 webhook.allow_private", ErrPrivateTarget, what)
}

// internal reports whether ip is one a webhook may not reach unless allowed.
func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || sharedOrReserved(ip)
}

// Ranges the netip predicates leave out: 0.0.0.0/8 ("this network"), 100.64.0.0/10 (carrier
// NAT, used inside clouds), 192.0.0.0/24 (protocol assignments), 198.18.0.0/15 (benchmarking)
// and 240.0.0.0/4 (reserved, with the broadcast address).
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

func sharedOrReserved(ip netip.Addr) bool {
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckTarget says why a webhook URL cannot be delivered to without webhook.allow_private:
// its host is localhost or an internal address. Names are checked again, resolved, when a
// call is made (see guardedClient); this catches what is plain from the URL itself.
func CheckTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return privateTarget(host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && internal(ip) {
		return privateTarget(ip.String())
	}
	if ip, ok := legacyIPv4(host); ok && internal(ip) {
		return privateTarget(ip.String())
	}
	return nil
}

// legacyIPv4 reads the IPv4 forms C's inet_aton accepts and a resolver may hand to it:
// 2130706433, 0x7f.1, 0177.0.0.1, 127.1 (one to four parts, each decimal, octal with a
// leading 0 or hex with 0x, the last filling the bytes left).
func legacyIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 || host == "" {
		return netip.Addr{}, false
	}
	var nums []uint64
	for _, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil || p == "" && base != 8 {
			return netip.Addr{}, false
		}
		nums = append(nums, n)
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// guardedClient makes webhook calls that refuse internal addresses at connect time, after name
// resolution, so that a name resolving to 127.0.0.1 (or changing to it later) is refused too.
// It does not use HTTP_PROXY: the guard must see the receiver's own address. Redirects are not
// followed.
func guardedClient() *http.Client {
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook target %s: %w", address, err)
			}
			if internal(ap.Addr()) {
				return privateTarget(ap.Addr().Unmap().String())
			}
			return nil
		},
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = dialer.DialContext
	return &http.Client{Transport: transport, CheckRedirect: noRedirects}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
