// SPDX-License-Identifier: MIT
// Paths no other test took: a batch that fails part-way, recv_until's one deadline, the
// single-call gather send, the gathered send_all's timeout and closed peer, a Unix datagram
// socket bound after construction, and a multicast group joined on the system's interface.
#include "support.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#ifdef __linux__
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#endif

using namespace std::chrono_literals;
using sockit::Address;
using sockit::UdpSocket;
using sockit_test::contains;

namespace {

/// `count` bytes of a pattern that tells where in the stream each byte was.
std::string pattern(std::size_t count, std::size_t seed = 0) {
    std::string out(count, '\0');
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<char>('a' + (i + seed) % 26);
    return out;
}

/// Receives every datagram that is already there (waiting at most `wait` for each).
std::vector<std::string> drain(UdpSocket& receiver, std::chrono::milliseconds wait) {
    std::vector<std::string> got;
    receiver.set_timeout(wait);
    static char buf[65536];
    std::error_code ec;
    for (;;) {
        auto d = receiver.recv_from(buf, sizeof buf, ec);
        if (ec) break;
        got.emplace_back(buf, d.size);
    }
    return got;
}

/// Reads from `stream` until `total` bytes came or it ends; returns them.
std::string read_all(sockit::TcpStream& stream, std::size_t total) {
    std::string out;
    static char buf[65536];
    stream.set_timeout(10s);
    while (out.size() < total) {
        std::size_t n = stream.recv(buf, sizeof buf);
        if (n == 0) break;
        out.append(buf, n);
    }
    return out;
}

} // namespace

TEST_CASE("send_batch that fails part-way returns how many datagrams went out", "[udp][batch][errors]") {
    sockit_test::FdLeakCheck fds;
    UdpSocket receiver("127.0.0.1", 0);
    const Address to = receiver.local_address();
    const std::string small_a = "first", small_b = "second", too_large(70000, 'x'), small_c = "never";
    // The third datagram is larger than any IPv4 datagram: EMSGSIZE at index 2.
    const sockit::ConstBuffer batch[] = {sockit::buffer(small_a), sockit::buffer(small_b), sockit::buffer(too_large),
                                         sockit::buffer(small_c)};

    SECTION("the error_code form") {
        UdpSocket sender(sockit::Family::v4);
        std::error_code ec;
        CHECK(sender.send_batch(batch, 4, to, ec) == 2);
        CHECK(ec == std::errc::message_size);
        CHECK(drain(receiver, 500ms) == std::vector<std::string>{small_a, small_b});

        // Failing at the first datagram: nothing sent.
        CHECK(sender.send_batch(batch + 2, 2, to, ec) == 0);
        CHECK(ec == std::errc::message_size);
        // And a batch that succeeds clears the code.
        CHECK(sender.send_batch(batch, 2, to, ec) == 2);
        CHECK_FALSE(ec);
        CHECK(drain(receiver, 500ms).size() == 2);
    }
    SECTION("connected, the error_code form") {
        UdpSocket sender(sockit::Family::v4);
        sender.connect(to);
        std::error_code ec;
        CHECK(sender.send_batch(batch, 4, ec) == 2);
        CHECK(ec == std::errc::message_size);
        CHECK(drain(receiver, 500ms) == std::vector<std::string>{small_a, small_b});
    }
    SECTION("the throwing form says how many went out") {
        UdpSocket sender(sockit::Family::v4);
        try {
            sender.send_batch(batch, 4, to);
            FAIL("a datagram of 70000 bytes was sent");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == std::errc::message_size);
            CHECK_THAT(e.what(), contains("send_batch " + to.to_string()));
            CHECK_THAT(e.what(), contains("sent 2 of 4 datagrams"));
            CHECK(e.transferred() == small_a.size() + small_b.size());
        }
        CHECK(drain(receiver, 500ms) == std::vector<std::string>{small_a, small_b});
        sender.connect(to);
        try {
            sender.send_batch(batch + 1, 3);
            FAIL("a datagram of 70000 bytes was sent");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == std::errc::message_size);
            CHECK_THAT(e.what(), contains("sent 1 of 3 datagrams"));
            CHECK(e.transferred() == small_b.size());
        }
        CHECK(drain(receiver, 500ms) == std::vector<std::string>{small_b});
    }
}

TEST_CASE("recv_until's timeout is one deadline for the whole call, not one per byte",
          "[tcp][reading][timeout][threads]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& reader = pair.first;
    auto& dribbler = pair.second;
    std::atomic<bool> stop{false};
    std::string sent;
    sockit_test::JoinedThread peer([&] {
        // One byte every 20 ms, never the delimiter, for at most 3 s: each byte comes well
        // within the reader's 300 ms timeout, all of them together do not.
        sockit_test::Deadline limit(3000ms);
        std::size_t i = 0;
        while (!stop && !limit.expired()) {
            const char c = static_cast<char>('a' + i++ % 26);
            std::error_code ec;
            dribbler.send_all(&c, 1, ec);
            if (ec) break;
            sent += c;
            std::this_thread::sleep_for(20ms);
        }
    });
    reader.set_timeout(300ms);
    std::error_code ec;
    std::string got;
    auto took = sockit_test::elapsed([&] { got = reader.recv_until("\n", 1000, ec); });
    stop = true;
    peer.join();
    CHECK(ec == std::errc::timed_out);
    CHECK(took.count() >= 290);
    CHECK(took.count() < 1500); // one deadline per byte would run to the end of the dribble, 3 s
    CHECK_FALSE(got.empty());
    CHECK(sent.compare(0, got.size(), got) == 0); // every byte taken is handed back, in order

    // The throwing form: the bytes taken are in the exception.
    reader.set_timeout(100ms);
    try {
        reader.recv_until("\n", 1000);
        FAIL("recv_until returned without a delimiter");
    } catch (const sockit::TimeoutError& e) {
        CHECK(e.received() == sent.substr(got.size(), e.received().size()));
        CHECK(e.transferred() == e.received().size());
    }
}

TEST_CASE("send over several buffers is one call that returns the bytes it sent", "[tcp][gather]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    const std::string head = "HEAD ", empty, middle = "middle ", tail = "tail";
    const sockit::ConstBuffer parts[] = {sockit::buffer(head), sockit::buffer(empty), sockit::buffer(middle),
                                         sockit::buffer(tail)};
    const std::string whole = head + middle + tail;

    SECTION("small buffers go out whole, in order") {
        CHECK(client.send(parts, 4) == whole.size());
        std::error_code ec;
        CHECK(client.send(parts, 4, ec) == whole.size());
        CHECK_FALSE(ec);
        CHECK(read_all(server, 2 * whole.size()) == whole + whole);
    }
    SECTION("no buffers: nothing is sent") {
        std::error_code ec;
        CHECK(client.send(parts, 0, ec) == 0);
        CHECK_FALSE(ec);
    }
    SECTION("more than the socket takes at once: a partial count, and those bytes are the ones sent") {
        client.set_option(sockit::SendBufferSize(16 * 1024));
        client.set_blocking(false);
        const std::string a = pattern(4 << 20, 0), b = pattern(4 << 20, 7);
        const sockit::ConstBuffer big[] = {sockit::buffer(a), sockit::buffer(b)};
        std::error_code ec;
        const std::size_t n = client.send(big, 2, ec);
        REQUIRE_FALSE(ec);
        CHECK(n > 0);
        CHECK(n < a.size()); // one call, not a loop: it stopped where the buffer was full
        client.shutdown(sockit::Shutdown::write);
        const std::string got = read_all(server, a.size() + b.size());
        CHECK(got.size() == n);
        CHECK(got.compare(0, std::string::npos, a, 0, n) == 0);
    }
    SECTION("to a closed peer: the error_code form reports it") {
        server.set_option(sockit::Linger(true, 0s));
        server.close(); // a reset
        std::error_code ec;
        for (int i = 0; i < 100 && !ec; ++i) {
            client.send(parts, 4, ec);
            if (!ec) std::this_thread::sleep_for(5ms);
        }
        CHECK((ec == std::errc::connection_reset || ec == std::errc::broken_pipe));
        CHECK_THROWS_AS(client.send(parts, 4), sockit::ConnectionError);
    }
}

TEST_CASE("send_all over several buffers: a timeout, a partial count, a closed peer", "[tcp][gather][timeout]") {
    sockit_test::FdLeakCheck fds;
    const std::string header = "LENGTH 8388608\n", body = pattern(8 << 20);
    const std::size_t total = header.size() + body.size();

    SECTION("a peer that does not read: TimeoutError after the timeout, with what got through") {
        auto pair = sockit_test::tcp_pair();
        auto& client = pair.first;
        auto& server = pair.second;
        client.set_option(sockit::SendBufferSize(64 * 1024));
        server.set_option(sockit::ReceiveBufferSize(64 * 1024));
        client.set_timeout(300ms);
        std::size_t sent = 0;
        auto took = sockit_test::elapsed([&] {
            try {
                client.send_all({sockit::buffer(header), sockit::buffer(body)});
                FAIL("8 MiB went to a peer that reads nothing");
            } catch (const sockit::TimeoutError& e) {
                CHECK(e.code() == sockit::Errc::timed_out);
                sent = e.transferred();
                CHECK_THAT(e.what(), contains("send_all 127.0.0.1:"));
                CHECK_THAT(e.what(), contains("(sent " + std::to_string(sent) + " of " + std::to_string(total)));
            }
        });
        CHECK(took.count() >= 290);
        CHECK(took.count() < 2000);
        CHECK(sent > header.size()); // the header and part of the body went out
        CHECK(sent < total);
        client.shutdown(sockit::Shutdown::write);
        const std::string got = read_all(server, total);
        CHECK(got.size() == sent);
        CHECK((header + body).compare(0, sent, got) == 0);
    }
    SECTION("the error_code form returns the bytes sent") {
        auto pair = sockit_test::tcp_pair();
        auto& client = pair.first;
        auto& server = pair.second;
        client.set_option(sockit::SendBufferSize(64 * 1024));
        server.set_option(sockit::ReceiveBufferSize(64 * 1024));
        client.set_timeout(200ms);
        const sockit::ConstBuffer parts[] = {sockit::buffer(header), sockit::buffer(body)};
        std::error_code ec;
        const std::size_t sent = client.send_all(parts, 2, ec);
        CHECK(ec == sockit::Errc::timed_out);
        CHECK(sent > 0);
        CHECK(sent < total);
        client.shutdown(sockit::Shutdown::write);
        const std::string got = read_all(server, total);
        CHECK(got.size() == sent);
        CHECK((header + body).compare(0, sent, got) == 0);
    }
    SECTION("no buffers, or only empty ones: done at once") {
        auto pair = sockit_test::tcp_pair();
        std::error_code ec;
        const std::string empty;
        CHECK(pair.first.send_all({sockit::buffer(empty)}, ec) == 0);
        CHECK_FALSE(ec);
        CHECK(pair.first.send_all(static_cast<const sockit::ConstBuffer*>(nullptr), 0, ec) == 0);
        CHECK_FALSE(ec);
    }
#ifndef _WIN32
    SECTION("a closed peer: BrokenPipe or ConnectionReset, and no SIGPIPE in a process that ignores nothing") {
        std::cout.flush(); // the child must not write the parent's buffered output again
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // The child: SIGPIPE at its default action, which would end the process.
            ::signal(SIGPIPE, SIG_DFL);
            int code = 1;
            try {
                auto pair = sockit_test::tcp_pair();
                pair.second.close();
                for (int i = 0; i < 200 && code == 1; ++i) {
                    try {
                        pair.first.send_all({sockit::buffer(header), sockit::buffer(body)});
                    } catch (const sockit::BrokenPipe&) {
                        code = 0;
                    } catch (const sockit::ConnectionReset&) {
                        code = 0;
                    }
                }
            } catch (...) {
                code = 3;
            }
            ::_exit(code);
        }
        int status = 0;
        sockit_test::Deadline limit(20000ms);
        pid_t done = 0;
        while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && !limit.expired()) std::this_thread::sleep_for(5ms);
        if (done == 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            FAIL("the child did not end within 20 s");
        }
        INFO("the child ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
        CHECK_FALSE(WIFSIGNALED(status));
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
#endif
}

TEST_CASE("send_all over several buffers: a slow reader does not stretch the timeout",
          "[tcp][gather][timeout][threads]") {
    sockit_test::FdLeakCheck fds;
    const std::string header = "LENGTH 8388608\n", body = pattern(8 << 20);
    const std::size_t total = header.size() + body.size();
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    client.set_option(sockit::SendBufferSize(64 * 1024));
    server.set_option(sockit::ReceiveBufferSize(64 * 1024));
    std::atomic<bool> stop{false};
    std::string received;
    sockit_test::JoinedThread reader([&] {
        // 64 KiB every 10 ms, for at most 5 s: room to send comes well within the
        // timeout each time, but the 8 MiB take longer than the timeout.
        sockit_test::Deadline limit(5000ms);
        std::vector<char> buf(64 * 1024);
        server.set_timeout(100ms);
        while (!stop && !limit.expired()) {
            std::error_code ec;
            std::size_t n = server.recv(buf.data(), buf.size(), ec);
            if (!ec && n == 0) break;
            if (!ec) received.append(buf.data(), n);
            std::this_thread::sleep_for(10ms);
        }
    });
    client.set_timeout(300ms);
    std::error_code ec;
    std::size_t sent = 0;
    auto took = sockit_test::elapsed([&] {
        sent = client.send_all({sockit::buffer(header), sockit::buffer(body)}, ec);
    });
    stop = true;
    reader.join();
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took.count() >= 290);
    CHECK(took.count() < 1500); // a deadline per send would let it go on to the end
    CHECK(sent > 0);
    CHECK(sent < total);
    client.shutdown(sockit::Shutdown::write);
    received += read_all(server, total);
    CHECK(received.size() == sent);
    CHECK((header + body).compare(0, sent, received) == 0);
}

#ifndef _WIN32
TEST_CASE("UnixDatagram::bind names a socket made without one", "[unix][datagram]") {
    sockit_test::FdLeakCheck fds;
    const auto name = sockit::UnixAddress::abstract("sockit-cover-bind-" + std::to_string(::getpid()));

    SECTION("a default-constructed socket owns nothing: bind is a clear error") {
        sockit::UnixDatagram empty;
        std::error_code ec;
        empty.bind(name, {}, ec);
        CHECK(ec == std::errc::bad_file_descriptor);
        CHECK_THROWS_WITH(empty.bind(name), contains("bind @" + name.path()));
        CHECK_FALSE(empty.is_open());
    }
    SECTION("given a socket by open(), it binds, and datagrams sent to the name arrive") {
        sockit::UnixDatagram receiver;
        receiver = sockit::UnixDatagram::open();
        receiver.bind(name);
        CHECK(receiver.local_address() == name);
        auto sender = sockit::UnixDatagram::open();
        CHECK(sender.send_to("named", name) == 5);
        receiver.set_timeout(2s);
        char buf[16];
        auto got = receiver.recv_from(buf, sizeof buf);
        CHECK(std::string(buf, got.size) == "named");
        CHECK(got.sender.is_unnamed());

        // The name is taken now: a second socket cannot bind it.
        auto other = sockit::UnixDatagram::open();
        std::error_code ec;
        other.bind(name, {}, ec);
        CHECK(ec == std::errc::address_in_use);
        CHECK_THROWS_AS(other.bind(name), sockit::AddressInUse);
    }
    SECTION("a path name is removed again on close") {
        const std::string path = "/tmp/sockit-cover-bind-" + std::to_string(::getpid()) + ".sock";
        ::unlink(path.c_str());
        {
            auto d = sockit::UnixDatagram::open();
            d.bind(sockit::UnixAddress(path));
            CHECK(::access(path.c_str(), F_OK) == 0);
        }
        CHECK(::access(path.c_str(), F_OK) != 0);
    }
}
#endif

#ifdef __linux__
namespace {
/// In the calling process (which has a network namespace of its own): brings `lo` up and
/// routes the IPv4 multicast range to it, so that "the system's choice" of interface is lo.
/// Returns 0, or the step that failed.
int multicast_on_loopback() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1;
    ::ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int step = 0;
    if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) step = 2;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (step == 0 && ::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) step = 3;
    ::rtentry route{};
    auto set = [](::sockaddr& a, const char* dotted) {
        ::sockaddr_in in{};
        in.sin_family = AF_INET;
        ::inet_pton(AF_INET, dotted, &in.sin_addr);
        std::memcpy(&a, &in, sizeof in);
    };
    set(route.rt_dst, "224.0.0.0");
    set(route.rt_genmask, "240.0.0.0");
    char device[] = "lo";
    route.rt_dev = device;
    route.rt_flags = RTF_UP;
    if (step == 0 && ::ioctl(fd, SIOCADDRT, &route) != 0) step = 4;
    ::close(fd);
    return step;
}

/// Runs `f` in a child process with a network namespace of its own (inside a user namespace
/// when not root) whose lo carries multicast. Returns `f`'s result, 100 + a step if the child
/// could not be set up, or 200 if it did not end within 20 s.
template <class F>
int in_multicast_namespace(F&& f) {
    return sockit_test::in_private_network([&] {
        if (int step = multicast_on_loopback(); step != 0) return 110 + step;
        return f();
    });
}
} // namespace

TEST_CASE("join_group on the system's choice of interface receives the group's datagrams", "[multicast][udp]") {
    const int result = in_multicast_namespace([] {
        Address group("239.255.77.9", 0);
        UdpSocket receiver(group);
        group.set_port(receiver.port());
        UdpSocket sender(sockit::Family::v4); // no interface named: the route to 224.0.0.0/4 says lo
        sender.set_option(sockit::MulticastLoop(true));
        sender.set_option(sockit::MulticastTimeToLive(1));
        auto delivered = [&](const std::string& text, std::chrono::milliseconds wait) {
            sender.send_to(text, group);
            receiver.set_timeout(wait);
            char buf[64];
            std::error_code ec;
            for (;;) {
                auto d = receiver.recv_from(buf, sizeof buf, ec);
                if (ec) return false;
                if (std::string(buf, d.size) == text) return true;
            }
        };
        if (delivered("before joining", 200ms)) return 2; // a socket in no group hears nothing

        receiver.join_group(group); // interface index 0: the system's choice
        if (!delivered("joined", 2000ms)) return 3;
        receiver.leave_group(group);
        if (delivered("left", 200ms)) return 4;

        std::error_code ec;
        receiver.join_group(group, 0u, ec); // the error_code form
        if (ec) return 5;
        if (!delivered("joined again", 2000ms)) return 6;
        receiver.join_group(group, 0u, ec); // twice: the system refuses
        if (ec != std::errc::address_in_use) return 7;
        receiver.leave_group(group, 0u, ec);
        if (ec) return 8;
        receiver.leave_group(group, 0u, ec); // not a member any more
        if (!ec) return 9;
        try {
            receiver.leave_group(group);
            return 10;
        } catch (const sockit::Error& e) {
            if (std::string(e.what()).find("leave_group 239.255.77.9 on interface any") == std::string::npos) return 11;
        }
        return 0;
    });
    if (result > 100 && result < 200)
        SOCKIT_SKIP("no network namespace of our own with multicast on lo (step " + std::to_string(result) + ")");
    CHECK(result == 0);
}
#endif
