// SPDX-License-Identifier: MIT
// Batched datagram I/O: sendmmsg/recvmmsg on Linux, a loop of sendto/recvfrom elsewhere.
#pragma once

#include <cstddef>
#include <system_error>

#include "sockit/detail/ops.hpp"

namespace sockit::detail::ops {

/// Sends up to `batch_limit` datagrams (types with `data`/`size`), each to `to` (may be
/// null on a connected socket). Returns how many were sent; -1 with `ec` set if none was.
template <class Buffer>
inline ssize_type send_batch(native_handle_type fd, const Buffer* datagrams, std::size_t count, const ::sockaddr* to,
                             socklen_type to_len, std::error_code& ec) noexcept {
    if (count > batch_limit) count = batch_limit;
#ifdef __linux__
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
    return check(static_cast<ssize_type>(::sendmmsg(fd, msgs, static_cast<unsigned>(count), MSG_NOSIGNAL)), ec);
#else
    // One sendto per datagram (ops::sendto: MSG_NOSIGNAL where there is SIGPIPE).
    std::size_t sent = 0;
    std::error_code error;
    for (; sent < count; ++sent) {
        sendto(fd, datagrams[sent].data, datagrams[sent].size, 0, to, to != nullptr ? to_len : 0, error);
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
inline ssize_type recv_batch(native_handle_type fd, Slot* slots, std::size_t count, std::error_code& ec) noexcept {
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
        static_cast<ssize_type>(::recvmmsg(fd, msgs, static_cast<unsigned>(count), MSG_WAITFORONE, nullptr)), ec);
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
        ssize_type r = recvfrom(fd, slots[got].buffer.data, slots[got].buffer.size, 0, slots[got].sender.native(), &len,
                                error);
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

} // namespace sockit::detail::ops
