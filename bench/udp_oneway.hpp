// SPDX-License-Identifier: MIT
// One-way UDP rate: a sender blasts 64-byte datagrams, a receiver counts what arrives.
// Loss is counted, not hidden. Batched variants use sendmmsg/recvmmsg (and UDP_SEGMENT);
// sockit's coalesced variant receives with UDP_GRO.
#pragma once

#include <netinet/udp.h>

#include "variants.hpp"

namespace bench {

// The sender repeats a 1-byte end marker until the receiver has seen it, so the run
// ends even when datagrams are lost, with no timeout in any variant.
struct OneWayControl {
    std::atomic<bool> receiver_done{false};
};

inline void account(Run& run, std::uint64_t received, Clock::time_point first, Clock::time_point last,
                    std::size_t sent) {
    run.operations = received;
    run.seconds = std::chrono::duration<double>(last - first).count();
    run.lost = sent > received ? sent - received : 0;
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 // Linux 4.18
#endif

/// How the raw variants send: one sendto each, sendmmsg, or UDP_SEGMENT (one sendmsg that the
/// kernel cuts into datagrams); the batched ones receive with recvmmsg.
enum class RawSend { loop, mmsg, segmented };

struct RawOneWay {
    template <RawSend Send>
    static Run run(const Params& p) {
        constexpr bool Batched = Send != RawSend::loop;
        std::uint16_t port;
        int rfd = Raw::listener(SOCK_DGRAM, &port);
        if (p.receive_buffer > 0) {
            ::setsockopt(rfd, SOL_SOCKET, SO_RCVBUFFORCE, &p.receive_buffer, sizeof p.receive_buffer);
        }
        OneWayControl control;
        Run result;
        side_by_side_apart(
            [&] {
                std::uint64_t received = 0;
                Clock::time_point first{}, last{};
                if constexpr (Batched) {
                    constexpr unsigned batch = 64;
                    static thread_local char bufs[batch][2048];
                    mmsghdr msgs[batch];
                    iovec iov[batch];
                    sockaddr_storage senders[batch]; // as recv_batch, which reports each sender
                    for (;;) {
                        for (unsigned i = 0; i < batch; ++i) {
                            iov[i] = {bufs[i], sizeof bufs[i]};
                            msgs[i] = mmsghdr{};
                            msgs[i].msg_hdr.msg_iov = &iov[i];
                            msgs[i].msg_hdr.msg_iovlen = 1;
                            msgs[i].msg_hdr.msg_name = &senders[i];
                            msgs[i].msg_hdr.msg_namelen = sizeof senders[i];
                        }
                        int n = ::recvmmsg(rfd, msgs, batch, MSG_WAITFORONE, nullptr);
                        if (n <= 0) continue;
                        bool end = false;
                        for (int i = 0; i < n; ++i) {
                            if (msgs[i].msg_len == 1) {
                                end = true;
                            } else {
                                if (received++ == 0) first = Clock::now();
                            }
                        }
                        last = Clock::now();
                        if (end) break;
                    }
                } else {
                    char buf[2048];
                    for (;;) {
                        ssize_t n = ::recv(rfd, buf, sizeof buf, 0);
                        if (n == 1) break;
                        if (n <= 0) continue;
                        if (received++ == 0) first = Clock::now();
                        last = Clock::now();
                    }
                }
                control.receiver_done = true;
                account(result, received, first, last, p.datagrams);
            },
            [&] {
                int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                sockaddr_in to = Raw::loopback(port);
                std::vector<char> payload(p.message, 'o');
                if constexpr (Send == RawSend::segmented) {
                    constexpr std::size_t batch = 64;
                    std::vector<char> run(batch * payload.size(), 'o');
                    int segment = static_cast<int>(payload.size()); // as a socket option: every send is cut
                    ::setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment);
                    for (std::size_t sent = 0; sent < p.datagrams;) {
                        std::size_t n = std::min<std::size_t>(batch, p.datagrams - sent);
                        if (::sendto(fd, run.data(), n * payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                                     sizeof to) > 0)
                            sent += n;
                    }
                    segment = 0;
                    ::setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment);
                } else if constexpr (Batched) {
                    constexpr unsigned batch = 64;
                    mmsghdr msgs[batch];
                    iovec iov{payload.data(), payload.size()};
                    for (unsigned i = 0; i < batch; ++i) {
                        msgs[i] = mmsghdr{};
                        msgs[i].msg_hdr.msg_iov = &iov;
                        msgs[i].msg_hdr.msg_iovlen = 1;
                        msgs[i].msg_hdr.msg_name = &to;
                        msgs[i].msg_hdr.msg_namelen = sizeof to;
                    }
                    for (std::size_t sent = 0; sent < p.datagrams;) {
                        unsigned n = static_cast<unsigned>(std::min<std::size_t>(batch, p.datagrams - sent));
                        int r = ::sendmmsg(fd, msgs, n, 0);
                        if (r > 0) sent += static_cast<std::size_t>(r);
                    }
                } else {
                    for (std::size_t sent = 0; sent < p.datagrams; ++sent)
                        ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
                }
                while (!control.receiver_done) {
                    ::sendto(fd, "E", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
                    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // end-marker pacing only
                }
                ::close(fd);
            });
        ::close(rfd);
        return result;
    }
};

/// How the sockit variants receive: recv_from, recv_batch, or recv_coalesced with
/// ReceiveOffload on (UDP_GRO). The last two send with send_batch.
enum class SockitReceive { plain, batch, coalesced };

struct SockitOneWay {
    template <SockitReceive Receive>
    static Run run(const Params& p) {
        constexpr bool Batched = Receive != SockitReceive::plain;
        sockit::UdpSocket receiver("127.0.0.1", 0);
        if (p.receive_buffer > 0) {
            int size = p.receive_buffer;
            std::error_code ec; // SO_RCVBUFFORCE lifts rmem_max for root; fall back to SO_RCVBUF
            receiver.socket().set_option(SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size, ec);
            if (ec) receiver.set_option(sockit::ReceiveBufferSize(size));
        }
        if constexpr (Receive == SockitReceive::coalesced) receiver.set_option(sockit::ReceiveOffload(true));
        OneWayControl control;
        Run result;
        side_by_side_apart(
            [&] {
                std::uint64_t received = 0;
                Clock::time_point first{}, last{};
                if constexpr (Receive == SockitReceive::coalesced) {
                    static thread_local char buf[65536];
                    for (bool end = false; !end;) {
                        for (std::string_view d : receiver.recv_coalesced(sockit::buffer(buf, sizeof buf))) {
                            if (d.size() == 1) {
                                end = true;
                            } else if (received++ == 0) {
                                first = Clock::now();
                            }
                        }
                        last = Clock::now();
                    }
                } else if constexpr (Batched) {
                    constexpr std::size_t batch = 64;
                    static thread_local char bufs[batch][2048];
                    sockit::DatagramSlot slots[batch];
                    for (std::size_t i = 0; i < batch; ++i) slots[i].buffer = sockit::buffer(bufs[i]);
                    for (bool end = false; !end;) {
                        std::size_t n = receiver.recv_batch(slots, batch);
                        for (std::size_t i = 0; i < n; ++i) {
                            if (slots[i].size == 1) {
                                end = true;
                            } else if (received++ == 0) {
                                first = Clock::now();
                            }
                        }
                        last = Clock::now();
                    }
                } else {
                    char buf[2048];
                    for (;;) {
                        auto d = receiver.recv_from(buf, sizeof buf);
                        if (d.size == 1) break;
                        if (received++ == 0) first = Clock::now();
                        last = Clock::now();
                    }
                }
                control.receiver_done = true;
                account(result, received, first, last, p.datagrams);
            },
            [&] {
                sockit::UdpSocket sender(sockit::Family::v4);
                const sockit::Address to("127.0.0.1", receiver.port());
                std::vector<char> payload(p.message, 'o');
                if constexpr (Batched) {
                    std::vector<sockit::ConstBuffer> batch(64, sockit::buffer(payload.data(), payload.size()));
                    for (std::size_t sent = 0; sent < p.datagrams;)
                        sent += sender.send_batch(batch.data(), std::min(batch.size(), p.datagrams - sent), to);
                } else {
                    for (std::size_t sent = 0; sent < p.datagrams; ++sent)
                        sender.send_to(payload.data(), payload.size(), to);
                }
                while (!control.receiver_done) {
                    sender.send_to("E", to);
                    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // end-marker pacing only
                }
            });
        return result;
    }
};

#ifdef SOCKIT_BENCH_HAVE_ASIO
struct AsioOneWay {
    static Run run(const Params& p) {
        using udp = asio::ip::udp;
        asio::io_context io;
        udp::socket receiver(io, udp::endpoint(asio::ip::address_v4::loopback(), 0));
        if (p.receive_buffer > 0) {
            int size = p.receive_buffer;
            ::setsockopt(receiver.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
        }
        OneWayControl control;
        Run result;
        side_by_side_apart(
            [&] {
                std::uint64_t received = 0;
                Clock::time_point first{}, last{};
                char buf[2048];
                for (;;) {
                    udp::endpoint from;
                    std::size_t n = receiver.receive_from(asio::buffer(buf), from);
                    if (n == 1) break;
                    if (received++ == 0) first = Clock::now();
                    last = Clock::now();
                }
                control.receiver_done = true;
                account(result, received, first, last, p.datagrams);
            },
            [&] {
                udp::socket sender(io, udp::v4());
                udp::endpoint to = receiver.local_endpoint();
                std::vector<char> payload(p.message, 'o');
                for (std::size_t sent = 0; sent < p.datagrams; ++sent) sender.send_to(asio::buffer(payload), to);
                while (!control.receiver_done) {
                    sender.send_to(asio::buffer("E", 1), to);
                    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // end-marker pacing only
                }
            });
        return result;
    }
};
#endif

} // namespace bench
