// SPDX-License-Identifier: MIT
// The one header that includes the operating system's socket headers. Everything
// else in sockit reaches the OS through the names defined here and in ops.hpp.
#pragma once

#include <cerrno>
#include <system_error>

/// Marks a function that runs only on failure: kept out of line, off the hot path.
#if defined(__GNUC__) || defined(__clang__)
#define SOCKIT_COLD __attribute__((noinline, cold))
#define SOCKIT_NOINLINE __attribute__((noinline))
#else
#define SOCKIT_COLD
#define SOCKIT_NOINLINE
#endif

#ifdef _WIN32
#include "sockit/detail/platform_win.hpp"
#else
#include <arpa/inet.h>
#include <ctime>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

namespace sockit::detail {

/// The operating system's socket handle type.
using native_handle_type = int;
/// The value of a handle that refers to no socket.
inline constexpr native_handle_type invalid_handle = -1;
/// False for a value that cannot be a descriptor (any negative one).
inline constexpr bool is_valid_handle(native_handle_type h) noexcept { return h >= 0; }
/// Signed size returned by the send and receive calls.
using ssize_type = ::ssize_t;
/// Length type of socket addresses.
using socklen_type = ::socklen_t;

/// An errno value (or SO_ERROR's) as a portable error code.
inline std::error_code native_error(int code) noexcept { return {code, std::generic_category()}; }

/// The error of the last failed system call, as a portable error code.
inline std::error_code last_error() noexcept { return native_error(errno); }

/// Prepares the socket library for use (nothing to do on POSIX); returns 0 or an error.
inline int network_startup() noexcept { return 0; }

/// True if getaddrinfo's result `rc` means "see errno".
inline bool is_resolver_system_error(int rc) noexcept { return rc == EAI_SYSTEM; }

} // namespace sockit::detail
#endif

namespace sockit::detail {

/// True if `ec` means "the call would block" (EAGAIN or EWOULDBLOCK).
inline bool is_would_block(const std::error_code& ec) noexcept {
    return ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again;
}

// Address families and socket types, so that public headers need no OS macro.
inline constexpr int af_unspec = AF_UNSPEC;
inline constexpr int af_inet = AF_INET;
inline constexpr int af_inet6 = AF_INET6;
inline constexpr int af_unix_family = AF_UNIX;
inline constexpr int sock_stream = SOCK_STREAM;
inline constexpr int sock_dgram = SOCK_DGRAM;

// Option levels and names used by the typed options in options.hpp.
namespace opt {
inline constexpr int sol_socket = SOL_SOCKET;
inline constexpr int ipproto_tcp = IPPROTO_TCP;
inline constexpr int ipproto_ip = IPPROTO_IP;
inline constexpr int ipproto_ipv6 = IPPROTO_IPV6;
inline constexpr int so_reuseaddr = SO_REUSEADDR;
// What a listener sets so that a restarted server binds its port at once, while no other
// socket can bind the port as long as it listens: SO_REUSEADDR on POSIX. Windows rebinds such
// a port anyway, and its SO_REUSEADDR would let another socket take the port from a listener:
// there, SO_EXCLUSIVEADDRUSE.
#ifdef _WIN32
inline constexpr int so_listener_reuse = SO_EXCLUSIVEADDRUSE;
inline constexpr const char* so_listener_reuse_label = "SO_EXCLUSIVEADDRUSE";
#else
inline constexpr int so_listener_reuse = SO_REUSEADDR;
inline constexpr const char* so_listener_reuse_label = "SO_REUSEADDR";
#endif
#ifdef SO_REUSEPORT
inline constexpr int so_reuseport = SO_REUSEPORT;
#else
inline constexpr int so_reuseport = -1;
#endif
inline constexpr int so_keepalive = SO_KEEPALIVE;
inline constexpr int so_broadcast = SO_BROADCAST;
inline constexpr int so_rcvbuf = SO_RCVBUF;
inline constexpr int so_sndbuf = SO_SNDBUF;
inline constexpr int so_linger = SO_LINGER;
inline constexpr int so_error = SO_ERROR;
inline constexpr int so_type = SO_TYPE;
inline constexpr int tcp_nodelay = TCP_NODELAY;
inline constexpr int ipv6_v6only = IPV6_V6ONLY;
inline constexpr int ip_ttl = IP_TTL;
#ifdef TCP_KEEPIDLE
inline constexpr int tcp_keepidle = TCP_KEEPIDLE;
inline constexpr int tcp_keepintvl = TCP_KEEPINTVL;
inline constexpr int tcp_keepcnt = TCP_KEEPCNT;
#endif
using linger_type = ::linger;
// More SOL_SOCKET, IP, IPv6 and TCP options (options.hpp), multicast included.
inline constexpr int so_rcvlowat = SO_RCVLOWAT;
inline constexpr int so_sndlowat = SO_SNDLOWAT;
inline constexpr int so_dontroute = SO_DONTROUTE;
inline constexpr int so_oobinline = SO_OOBINLINE;
inline constexpr int so_acceptconn = SO_ACCEPTCONN;
inline constexpr int ip_tos = IP_TOS;
inline constexpr int ip_multicast_ttl = IP_MULTICAST_TTL;
inline constexpr int ip_multicast_loop = IP_MULTICAST_LOOP;
inline constexpr int ip_multicast_if = IP_MULTICAST_IF;
inline constexpr int ip_add_membership = IP_ADD_MEMBERSHIP;
inline constexpr int ip_drop_membership = IP_DROP_MEMBERSHIP;
inline constexpr int ipv6_unicast_hops = IPV6_UNICAST_HOPS;
inline constexpr int ipv6_multicast_hops = IPV6_MULTICAST_HOPS;
inline constexpr int ipv6_multicast_loop = IPV6_MULTICAST_LOOP;
inline constexpr int ipv6_multicast_if = IPV6_MULTICAST_IF;
inline constexpr int ipv6_join_group = IPV6_JOIN_GROUP;
inline constexpr int ipv6_leave_group = IPV6_LEAVE_GROUP;
#ifdef TCP_MAXSEG
inline constexpr int tcp_maxseg = TCP_MAXSEG;
#else
inline constexpr int tcp_maxseg = 4; // Winsock's value (Windows SDK ws2ipdef.h), missing from MinGW-w64's headers
#endif
#ifdef TCP_USER_TIMEOUT
inline constexpr int tcp_user_timeout = TCP_USER_TIMEOUT;
#endif
#ifdef TCP_QUICKACK
inline constexpr int tcp_quickack = TCP_QUICKACK;
#endif
#ifdef __linux__
inline constexpr int ipproto_udp = IPPROTO_UDP; // Linux's SOL_UDP has the same value
// UDP_SEGMENT (Linux 4.18) and UDP_GRO (Linux 5.0) by value: <linux/udp.h> and glibc's
// <netinet/udp.h>, which define them, cannot both be included, and a user's program may
// include either.
inline constexpr int udp_segment = 103;
inline constexpr int udp_gro = 104;
// Linux-only options (options.hpp, tcp_info.hpp). SO_BINDTOIFINDEX (Linux 5.0) by value for
// older C libraries' headers.
inline constexpr int so_bindtodevice = SO_BINDTODEVICE;
inline constexpr int so_bindtoifindex = 62;
inline constexpr int so_mark = SO_MARK;
inline constexpr int so_protocol = SO_PROTOCOL;
inline constexpr int ip_freebind = IP_FREEBIND;
inline constexpr int tcp_info = TCP_INFO;
inline constexpr int tcp_fastopen = TCP_FASTOPEN;
inline constexpr int tcp_fastopen_connect = TCP_FASTOPEN_CONNECT;
inline constexpr int ipproto_mptcp = 262; // IPPROTO_MPTCP (Linux 5.6), by value for older headers
#endif
inline constexpr int ipv6_tclass = IPV6_TCLASS;
using in_addr_type = ::in_addr;
using ipv6_mreq_type = ::ipv6_mreq;
#ifdef __linux__
/// An IPv4 group membership request (IP_ADD_MEMBERSHIP), by interface address or index.
using ip_mreq_type = ::ip_mreqn;
inline void fill_ip_mreq(ip_mreq_type& m, in_addr_type group, in_addr_type interface_address, unsigned index) noexcept {
    m.imr_multiaddr = group;
    m.imr_address = interface_address;
    m.imr_ifindex = static_cast<int>(index);
}
inline constexpr bool ip_mreq_has_index = true;
#else
/// An IPv4 group membership request (IP_ADD_MEMBERSHIP), by interface address only.
using ip_mreq_type = ::ip_mreq;
inline void fill_ip_mreq(ip_mreq_type& m, in_addr_type group, in_addr_type interface_address, unsigned) noexcept {
    m.imr_multiaddr = group;
    m.imr_interface = interface_address;
}
inline constexpr bool ip_mreq_has_index = false;
#endif
} // namespace opt

} // namespace sockit::detail
