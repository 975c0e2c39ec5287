// SPDX-License-Identifier: MIT
// Socket activation, tested as a service manager does it: a child process started with its
// sockets on descriptors 3, 4, 5 and LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES set; and SocketRef,
// sockit's calls on a descriptor it does not own.
#ifndef _WIN32
#include <sockit/activation.hpp>
#include <sockit/socket_ref.hpp>
#include <sockit/sockit.hpp>

#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.hpp"

using namespace std::chrono_literals;
using sockit_test::contains;
using sockit_test::Deadline;

namespace {

struct ChildResult {
    int status = -1;    ///< exit status, or -1 if it did not exit within the deadline
    std::string output; ///< everything it wrote on standard output
};

/**
 * Starts tests/activation_child with `fds` on descriptors 3, 4, … and `environment` (NAME=VALUE
 * lines; "LISTEN_PID=self" becomes the child's own id), runs `talk()` while it runs, and collects
 * its output and exit status (it is killed after 20 s).
 */
template <class Talk>
ChildResult run_child(const std::vector<int>& fds, const std::vector<std::string>& environment, const char* mode,
                      Talk&& talk) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        // Out of the way of 3, 4, … first, then into place (dup2 clears close-on-exec).
        std::vector<int> high;
        for (int fd : fds) high.push_back(::fcntl(fd, F_DUPFD_CLOEXEC, 100));
        for (std::size_t i = 0; i < high.size(); ++i) ::dup2(high[i], 3 + static_cast<int>(i));
        for (const std::string& line : environment) {
            auto eq = line.find('=');
            std::string name = line.substr(0, eq), value = line.substr(eq + 1);
            if (value == "self") value = std::to_string(::getpid());
            ::setenv(name.c_str(), value.c_str(), 1);
        }
        ::execl(SOCKIT_ACTIVATION_CHILD, "activation_child", mode, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out[1]);
    talk();
    ChildResult result;
    char buf[4096];
    Deadline deadline(20000ms);
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    for (;;) {
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n > 0) {
            result.output.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        int status = 0;
        if (n == 0 && ::waitpid(pid, &status, 0) == pid) {
            result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (deadline.expired()) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(2ms);
    }
    ::close(out[0]);
    return result;
}

/// A Unix-domain socket path in a fresh temporary folder, removed with it.
struct TempSocketPath {
    std::string dir, path;
    TempSocketPath() {
        char name[] = "/tmp/sockit-activation-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        dir = name;
        path = dir + "/ctl.sock";
    }
    ~TempSocketPath() {
        ::unlink(path.c_str());
        ::rmdir(dir.c_str());
    }
};

} // namespace

TEST_CASE("A socket-activated process adopts the TCP, UDP and Unix-domain sockets it was passed", "[activation]") {
    sockit_test::FdLeakCheck leaks;
    TempSocketPath ctl_path;
    sockit::TcpServer web("127.0.0.1", 0);
    sockit::UdpSocket dns("127.0.0.1", 0);
    sockit::UnixServer ctl(ctl_path.path);
    std::string web_reply, dns_reply, ctl_reply;
    ChildResult child = run_child({web.fileno(), dns.fileno(), ctl.fileno()},
                                  {"LISTEN_PID=self", "LISTEN_FDS=3", "LISTEN_FDNAMES=web:dns:ctl"}, "serve", [&] {
                                      sockit::ConnectOptions options;
                                      options.timeout = 10s;
                                      sockit::TcpClient c("127.0.0.1", web.port(), options);
                                      c.send_all("hi");
                                      web_reply = c.recv(64);
                                      sockit::UdpSocket u(sockit::Family::v4);
                                      u.set_timeout(10s);
                                      u.send_to("hi", dns.local_address());
                                      char buf[64];
                                      dns_reply = std::string(buf, u.recv(buf, sizeof buf));
                                      sockit::UnixClient l(ctl_path.path);
                                      l.set_timeout(10s);
                                      l.send_all("hi");
                                      ctl_reply = l.recv(64);
                                  });
    INFO(child.output);
    CHECK(child.status == 0);
    CHECK(web_reply == "web:hi");
    CHECK(dns_reply == "dns:hi");
    CHECK(ctl_reply == "ctl:hi");
    CHECK_THAT(child.output, contains("passed: 3\n"));
    CHECK_THAT(child.output, contains("socket web fd 3 cloexec 1\n"));
    CHECK_THAT(child.output, contains("socket dns fd 4 cloexec 1\n"));
    CHECK_THAT(child.output, contains("socket ctl fd 5 cloexec 1\n"));
    CHECK_THAT(child.output, contains("environment unset: 1\n"));
    CHECK_THAT(child.output, contains("adopted: tcp port " + std::to_string(web.port())));
    CHECK_THAT(child.output, contains("served\n"));
}

TEST_CASE("Adopting checks the socket's type, family and listening state", "[activation]") {
    sockit_test::FdLeakCheck leaks;
    TempSocketPath ctl_path;
    sockit::TcpServer web("127.0.0.1", 0);
    sockit::UdpSocket dns("127.0.0.1", 0);
    sockit::UnixServer ctl(ctl_path.path);
    ChildResult child = run_child({web.fileno(), dns.fileno(), ctl.fileno()}, {"LISTEN_PID=self", "LISTEN_FDS=3"},
                                  "wrong", [] {});
    INFO(child.output);
    CHECK(child.status == 0);
    CHECK_THAT(child.output, contains("socket unknown fd 3")); // no LISTEN_FDNAMES
    CHECK_THAT(child.output, contains("unknown: adopt descriptor 3: not a datagram socket"));
    CHECK_THAT(child.output, contains("unknown: adopt descriptor 3: not a Unix-domain socket"));
    auto count = [&](const std::string& text) {
        std::size_t n = 0;
        for (auto at = child.output.find(text); at != std::string::npos; at = child.output.find(text, at + 1)) ++n;
        return n;
    };
    CHECK(count("unknown: adopt descriptor 4: not a stream socket") == 2); // as a TCP and as a Unix server
    CHECK_THAT(child.output, contains("unknown: adopt descriptor 5: not an IPv4 or IPv6 socket"));
    CHECK_THAT(child.output, contains("unknown: adopt descriptor 5: not a datagram socket"));
    CHECK_FALSE(child.output.find("adopted") != std::string::npos);
    CHECK_THAT(child.output, contains("still open: 1"));

    // In this process, directly: a connected stream is not a server, and a refused socket stays
    // the caller's.
    sockit::TcpClient client("127.0.0.1", web.port());
    sockit::Socket stream = sockit::Socket::from_fd(client.release());
    std::error_code ec;
    sockit::TcpServer refused = sockit::TcpServer::adopt(std::move(stream), ec);
    CHECK(ec == sockit::Errc::invalid_argument);
    CHECK_FALSE(refused.is_open());
    CHECK(stream.is_open());
    CHECK_THROWS_WITH(sockit::TcpServer::adopt(std::move(stream)),
                      contains("adopt descriptor " + std::to_string(stream.native_handle()) + ": not listening"));
    sockit::UdpSocket udp_ok = sockit::UdpSocket::adopt(sockit::Socket::from_fd(dns.release()), ec);
    CHECK_FALSE(ec);
    CHECK(udp_ok.is_open());
}

TEST_CASE("passed_sockets ignores another process's variables and reports malformed ones", "[activation]") {
    sockit_test::FdLeakCheck leaks;
    sockit::TcpServer web("127.0.0.1", 0);
    auto output_for = [&](std::vector<std::string> environment) {
        ChildResult child = run_child({web.fileno()}, environment, "serve", [] {});
        CHECK(child.status == 0);
        return child.output;
    };
    CHECK_THAT(output_for({"LISTEN_PID=1", "LISTEN_FDS=1"}), contains("passed: 0\n"));
    CHECK_THAT(output_for({"LISTEN_FDS=1"}), contains("passed: 0\n"));
    // Left for the process they were meant for.
    CHECK_THAT(output_for({"LISTEN_PID=1", "LISTEN_FDS=1"}), contains("environment unset: 0\n"));
    CHECK_THAT(output_for({"LISTEN_PID=self", "LISTEN_FDS=x"}),
               contains("error: LISTEN_FDS 'x': not a number of descriptors"));
    CHECK_THAT(output_for({"LISTEN_PID=self", "LISTEN_FDS=-1"}), contains("error: LISTEN_FDS '-1'"));
    CHECK_THAT(output_for({"LISTEN_PID=abc", "LISTEN_FDS=1"}), contains("error: LISTEN_PID 'abc': not a process id"));
    CHECK_THAT(output_for({"LISTEN_PID=self", "LISTEN_FDS=1", "LISTEN_FDNAMES=a:b"}),
               contains("error: LISTEN_FDNAMES 'a:b': 2 names for 1 descriptors"));
    CHECK_THAT(output_for({"LISTEN_PID=self", "LISTEN_FDS=2"}), contains("error: LISTEN_FDS: descriptor 4"));
}

TEST_CASE("An empty LISTEN_FDNAMES holds no names, as systemd reads it", "[activation]") {
    // sd_listen_fds_with_names splits "" into no names at all: right for no descriptors, short
    // of one for one descriptor.
    sockit_test::FdLeakCheck leaks;
    sockit::TcpServer web("127.0.0.1", 0);
    auto output_for = [&](std::vector<std::string> environment) {
        ChildResult child = run_child({web.fileno()}, environment, "serve", [] {});
        CHECK(child.status == 0);
        return child.output;
    };
    const std::string none = output_for({"LISTEN_PID=self", "LISTEN_FDS=0", "LISTEN_FDNAMES="});
    CHECK_THAT(none, contains("passed: 0\n"));
    CHECK_THAT(none, contains("environment unset: 1\n"));
    CHECK_THAT(output_for({"LISTEN_PID=self", "LISTEN_FDS=1", "LISTEN_FDNAMES="}),
               contains("error: LISTEN_FDNAMES '': 0 names for 1 descriptors"));
    // A name for the one descriptor is still its name.
    CHECK_THAT(output_for({"LISTEN_PID=self", "LISTEN_FDS=1", "LISTEN_FDNAMES=web"}), contains("socket web fd 3"));
}

TEST_CASE("SocketRef applies sockit's options and calls to a descriptor it never closes", "[activation]") {
    sockit_test::FdLeakCheck leaks;
    int raw = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(raw >= 0);
    {
        sockit::SocketRef ref(raw);
        ref.set_option(sockit::NoDelay(true));
        CHECK(ref.get_option<sockit::NoDelay>().value());
        ref.bind(sockit::Address("127.0.0.1", 0));
        ref.listen();
        sockit::SocketRef copy(ref);
        CHECK(copy.local_address() == ref.local_address());
        sockit::TcpClient client("127.0.0.1", ref.local_address().port());
        ref.set_timeout(5s);
        auto accepted = ref.accept();
        client.send_all("ping");
        char buf[4];
        accepted.first.recv_exactly(buf, 4);
        CHECK(std::string(buf, 4) == "ping");
        CHECK(ref.timeout() == std::chrono::nanoseconds(5s));
        sockit::Socket owned = ref.dup();
        CHECK(owned.native_handle() != raw);
    }
    // Still open: the views closed nothing.
    int type = 0;
    socklen_t len = sizeof type;
    CHECK(::getsockopt(raw, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    CHECK(type == SOCK_STREAM);
    int nodelay = 0;
    len = sizeof nodelay;
    ::getsockopt(raw, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    CHECK(nodelay == 1);
    // A view of a sockit object.
    sockit::UdpSocket udp("127.0.0.1", 0);
    sockit::SocketRef view(udp);
    CHECK(view.local_address() == udp.local_address());
    CHECK(view.fileno() == udp.fileno());
    ::close(raw);
    std::error_code ec;
    sockit::SocketRef dangling(raw);
    dangling.local_address(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}
TEST_CASE("A SocketRef starts in the mode its descriptor is in, and a copy too", "[activation]") {
    // A view has no timeout of its owner's: it reads the descriptor's mode, so a view of a socket
    // with a timeout (O_NONBLOCK) is non-blocking until the view gets a timeout of its own.
    sockit_test::FdLeakCheck leaks;
    auto [client, server] = sockit_test::tcp_pair();
    client.set_timeout(5s);
    sockit::SocketRef ref(client);
    CHECK(ref.timeout() == std::chrono::nanoseconds(0));
    char buf[4];
    std::error_code ec;
    ref.recv(buf, sizeof buf, ec);
    CHECK(sockit::detail::is_would_block(ec));
    ref.set_timeout(200ms);
    sockit::SocketRef copy(ref); // the view's timeout is not copied; the mode it left is read
    CHECK(copy.timeout() == std::chrono::nanoseconds(0));
    CHECK(ref.timeout() == std::chrono::nanoseconds(200ms));
    auto took = sockit_test::elapsed([&, &r = ref] { r.recv(buf, sizeof buf, ec); });
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 200ms);
    CHECK(took < 3000ms);
    // A descriptor in blocking mode gives a blocking view.
    client.set_timeout(std::nullopt);
    CHECK_FALSE(sockit::SocketRef(client).timeout().has_value());
}
#endif
