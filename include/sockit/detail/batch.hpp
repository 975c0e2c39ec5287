// SPDX-License-Identifier: MIT
// Batched datagram I/O: on Linux, UDP segmentation (UDP_SEGMENT) for runs of equal-sized
// datagrams and sendmmsg/recvmmsg for the rest, and coalesced receives (UDP_GRO); a loop
// of sendto/recvfrom, and one datagram per receive, elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "sockit/detail/ops.hpp"

namespace sockit::detail::ops {

#ifdef __linux__
/// The most bytes one segmented send carries: IPv4's largest UDP payload (IPv6 allows more).
inline constexpr std::size_t segmented_bytes_limit = 65507;

/// The fewest datagrams worth a segmented send: shorter runs go out with sendmmsg, so that
/// mixed sizes do not cost a system call per pair.
inline constexpr std::size_t segmented_run_minimum = 4;

/// Whether `fd` can segment its sends: a UDP socket (not UDP-Lite's kernel path, which
/// refuses on first use) on Linux 4.18 or later. Any other socket, or an older kernel,
/// would ignore the request and send one large datagram, so the request is never made there.
inline bool udp_segmentation_supported(native_handle_type fd) noexcept {
    int value = 0;
    ::socklen_t len = sizeof value;
    return ::getsockopt(fd, opt::ipproto_udp, opt::udp_segment, &value, &len) == 0;
}

/// How many leading datagrams one segmented send can carry: at least
/// `segmented_run_minimum`, all of the first one's size except a shorter, non-empty last
/// one, within `segmented_bytes_limit`. 0: too few.
template <class Buffer>
inline std::size_t segmentable_run(const Buffer* datagrams, std::size_t count) noexcept {
    const std::size_t size = datagrams[0].size;
    if (count < segmented_run_minimum || size == 0) return 0;
    std::size_t n = 1, total = size;
    while (n < count && datagrams[n].size > 0 && datagrams[n].size <= size &&
           total + datagrams[n].size <= segmented_bytes_limit) {
        total += datagrams[n].size;
        if (datagrams[n++].size < size) break; // a shorter datagram can only end a run
    }
    return n >= segmented_run_minimum ? n : 0;
}

/// How many leading datagrams to send with sendmmsg so that the next call starts at a run
/// that can be segmented (all of them if none can).
template <class Buffer>
inline std::size_t unsegmentable_prefix(const Buffer* datagrams, std::size_t count) noexcept {
    for (std::size_t i = 1; i + segmented_run_minimum <= count; ++i)
        if (segmentable_run(datagrams + i, count - i) > 0) return i;
    return count;
}

/// Sends `count` datagrams as one buffer that the kernel cuts into datagrams of the first
/// one's size: one trip through the network stack instead of one per datagram. All or none
/// are sent. Returns `count`, or -1 with `ec` set.
template <class Buffer>
inline ssize_type send_segmented(native_handle_type fd, const Buffer* datagrams, std::size_t count,
                                 const ::sockaddr* to, socklen_type to_len, int flags, std::error_code& ec) noexcept {
    ::iovec iov[batch_limit];
    for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<void*>(static_cast<const void*>(datagrams[i].data));
        iov[i].iov_len = datagrams[i].size;
    }
    alignas(::cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
    ::msghdr msg{};
    msg.msg_name = const_cast<::sockaddr*>(to);
    msg.msg_namelen = to != nullptr ? to_len : 0;
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ::cmsghdr* header = CMSG_FIRSTHDR(&msg);
    header->cmsg_level = opt::ipproto_udp;
    header->cmsg_type = opt::udp_segment;
    header->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    const auto segment = static_cast<std::uint16_t>(datagrams[0].size);
    std::memcpy(CMSG_DATA(header), &segment, sizeof segment);
    if (check(static_cast<ssize_type>(::sendmsg(fd, &msg, flags | MSG_NOSIGNAL)), ec) < 0) return -1;
    return static_cast<ssize_type>(count);
}

/// Errors with which a kernel refuses to segment a send that plain datagrams can still
/// make: a segment larger than the route's MTU (EINVAL), a device or path that cannot
/// segment (EIO, e.g. no checksum offload or IPsec), a protocol without it.
inline bool segmentation_refused(const std::error_code& ec) noexcept {
    return ec == std::errc::invalid_argument || ec == std::errc::io_error || ec == std::errc::no_protocol_option ||
           ec == std::errc::operation_not_supported || ec == std::errc::message_size;
}
#else
/// Only Linux segments UDP sends.
inline bool udp_segmentation_supported(native_handle_type) noexcept { return false; }
#endif

/// Sends up to `batch_limit` datagrams (types with `data`/`size`), each to `to` (may be
/// null on a connected socket). Returns how many were sent; -1 with `ec` set if none was.
/// With `segment` (only where `udp_segmentation_supported`), a run of equal-sized datagrams
/// goes out as one segmented send; if the kernel refuses, the run goes out datagram by
/// datagram and `segment` is cleared, for the caller not to ask again.
template <class Buffer>
inline ssize_type send_batch(native_handle_type fd, const Buffer* datagrams, std::size_t count, const ::sockaddr* to,
                             socklen_type to_len, bool& segment, int flags, std::error_code& ec) noexcept {
    if (count > batch_limit) count = batch_limit;
#ifdef __linux__
    if (segment && count >= segmented_run_minimum) {
        if (std::size_t run = segmentable_run(datagrams, count); run > 0) {
            ssize_type sent = send_segmented(fd, datagrams, run, to, to_len, flags, ec);
            if (sent >= 0 || !segmentation_refused(ec)) return sent;
            segment = false;
            count = run; // refused: the same datagrams, one by one
        } else {
            count = unsegmentable_prefix(datagrams, count);
        }
    }
    ::mmsghdr msgs[batch_limit];
    ::iovec iov[batch_limit];
    for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<void*>(static_cast<const void*>(datagrams[i].data));
        iov[i].iov_len = datagrams[i].size;
        msgs[i] = ::mmsghdr{};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = const_cast<::sockaddr*>(to);
        msgs[i].msg_hdr.msg_namelen = to != nullptr ? to_len : 0;
    }
    return check(static_cast<ssize_type>(::sendmmsg(fd, msgs, static_cast<unsigned>(count), flags | MSG_NOSIGNAL)), ec);
#else
    (void)segment;
    // One sendto per datagram (ops::sendto: MSG_NOSIGNAL where there is SIGPIPE).
    std::size_t sent = 0;
    std::error_code error;
    for (; sent < count; ++sent) {
        sendto(fd, datagrams[sent].data, datagrams[sent].size, flags, to, to != nullptr ? to_len : 0, error);
        if (error) break;
    }
    if (sent == 0) {
        ec = error;
        return -1;
    }
    ec.clear();
    return static_cast<ssize_type>(sent);
#endif
}

/// Receives up to `batch_limit` datagrams into `slots` (types with `buffer`, `size`,
/// `sender`, `truncated`); waits (per the descriptor's blocking mode) for the first
/// one only, then takes what has already arrived. Returns how many were received.
template <class Slot>
inline ssize_type recv_batch(native_handle_type fd, Slot* slots, std::size_t count, int flags,
                             std::error_code& ec) noexcept {
    if (count > batch_limit) count = batch_limit;
#ifdef __linux__
    ::mmsghdr msgs[batch_limit];
    ::iovec iov[batch_limit];
    for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = slots[i].buffer.data;
        iov[i].iov_len = slots[i].buffer.size;
        msgs[i] = ::mmsghdr{};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = slots[i].sender.native();
        msgs[i].msg_hdr.msg_namelen = slots[i].sender.native_capacity();
    }
    ssize_type n = check(
        static_cast<ssize_type>(::recvmmsg(fd, msgs, static_cast<unsigned>(count), flags | MSG_WAITFORONE, nullptr)),
        ec);
    for (ssize_type i = 0; i < n; ++i) {
        slots[i].size = msgs[i].msg_len;
        slots[i].truncated = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
#else
    // One recvfrom per datagram: the first waits, the others only take what poll says is there.
    std::size_t got = 0;
    std::error_code error;
    for (; got < count; ++got) {
        if (got > 0 && (poll_one(fd, poll_in, 0, error) & poll_in) == 0) break;
        socklen_type len = slots[got].sender.native_capacity();
        ssize_type r = recvfrom(fd, slots[got].buffer.data, slots[got].buffer.size, got == 0 ? flags : 0,
                                slots[got].sender.native(), &len, error);
        if (error) break;
        // ops::recvfrom returns more than the buffer holds when the datagram did not fit.
        slots[got].truncated = static_cast<std::size_t>(r) > slots[got].buffer.size;
        slots[got].size = slots[got].truncated ? slots[got].buffer.size : static_cast<std::size_t>(r);
    }
    if (got == 0) {
        ec = error;
        return -1;
    }
    ec.clear();
    return static_cast<ssize_type>(got);
#endif
}

/// Receives one datagram into `data`, or, from a Linux UDP socket with UDP_GRO on, several
/// from one sender laid end to end. Returns the length of all that arrived, which exceeds
/// `size` if it did not fit (then `size` bytes were stored), and sets `segment` to the size
/// of each datagram but the last (the whole length when one came).
inline ssize_type recv_coalesced(native_handle_type fd, void* data, std::size_t size, ::sockaddr* from,
                                 socklen_type* from_len, std::size_t& segment, int flags,
                                 std::error_code& ec) noexcept {
#ifdef __linux__
    ::iovec iov{data, size};
    // UDP_GRO's size comes after the timestamps and other socket-level data the user may have
    // asked for, and before IP_PKTINFO and the like: this holds all of those together.
    alignas(::cmsghdr) char control[512];
    ::msghdr msg{};
    msg.msg_name = from;
    msg.msg_namelen = *from_len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_type n = check(static_cast<ssize_type>(::recvmsg(fd, &msg, flags | MSG_TRUNC)), ec);
    if (n < 0) return n;
    *from_len = msg.msg_namelen;
    segment = static_cast<std::size_t>(n);
    bool told = false;
    for (::cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == opt::ipproto_udp && c->cmsg_type == opt::udp_gro) {
            int value = 0;
            std::memcpy(&value, CMSG_DATA(c), sizeof value);
            if (value > 0 && static_cast<std::size_t>(value) < segment) segment = static_cast<std::size_t>(value);
            told = true;
        }
    }
    if (!told && (msg.msg_flags & MSG_CTRUNC) != 0) {
        // The datagrams' size may have been cut from the ancillary data: where they end is
        // unknown, and glued datagrams must not pass for one.
        ec = std::make_error_code(std::errc::message_size);
        return -1;
    }
    return n;
#else
    ssize_type n = recvfrom(fd, data, size, flags, from, from_len, ec);
    if (n >= 0) segment = static_cast<std::size_t>(n);
    return n;
#endif
}

} // namespace sockit::detail::ops
