/* SPDX-License-Identifier: MIT */
/* The chat room of examples/chat_room.cpp written as a plain C epoll loop, the baseline
 * the benchmark measures sockit's Poller room against: the same protocol
 * ("* welcome ip:port\n" to a new client, then every line relayed to every other
 * client as "ip:port: line\n"), the same level-triggered readiness, no library.
 *
 *   epoll_room [--port P]      prints "chat_room: listening on 127.0.0.1:P (epoll)"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct client {
    int fd;
    char name[64];
    size_t name_len;
    char in[8192];
    size_t in_len;
    char* out;
    size_t out_len, out_cap, out_sent;
    int want_out;
};

static struct client** clients;
static size_t client_count, client_cap;
static int epfd;
static volatile sig_atomic_t stopping;

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

static void watch(struct client* c, int want_out) {
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (c->want_out != want_out) epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

static void flush_out(struct client* c) {
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n < 0) break;
        c->out_sent += (size_t)n;
    }
    if (c->out_sent == c->out_len) c->out_sent = c->out_len = 0;
    watch(c, c->out_len > 0);
}

static void queue(struct client* c, const char* a, size_t an, const char* b, size_t bn) {
    if (c->out_len + an + bn > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + an + bn) cap *= 2;
        c->out = realloc(c->out, cap);
        if (!c->out) abort();
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, a, an);
    memcpy(c->out + c->out_len + an, b, bn);
    c->out_len += an + bn;
}

static void drop(struct client* c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    for (size_t i = 0; i < client_count; ++i) {
        if (clients[i] == c) {
            clients[i] = clients[--client_count];
            break;
        }
    }
    free(c->out);
    free(c);
}

static void relay(struct client* from, const char* line, size_t len) {
    char prefix[80];
    int pn = snprintf(prefix, sizeof prefix, "%.*s: ", (int)from->name_len, from->name);
    for (size_t i = 0; i < client_count; ++i) {
        struct client* to = clients[i];
        if (to == from) continue;
        queue(to, prefix, (size_t)pn, line, len);
    }
}

static int readable(struct client* c) {
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
    if (n <= 0) return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
    c->in_len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < c->in_len; ++i) {
        if (c->in[i] == '\n') {
            relay(c, c->in + start, i + 1 - start);
            start = i + 1;
        }
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->in_len == sizeof c->in) return -1; /* a line longer than the buffer */
    return 0;
}

int main(int argc, char** argv) {
    int port = 7777;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--quiet") != 0) {
            fprintf(stderr, "usage: epoll_room [--port P]\n");
            return 2;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, SOMAXCONN) < 0) {
        perror("epoll_room: bind/listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr*)&addr, &alen);
    printf("chat_room: listening on 127.0.0.1:%d (epoll)\n", ntohs(addr.sin_port));
    fflush(stdout);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    struct epoll_event events[256];
    while (!stopping) {
        int n = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            struct client* c = events[i].data.ptr;
            if (c == NULL) {
                for (;;) {
                    struct sockaddr_in peer;
                    socklen_t plen = sizeof peer;
                    int fd = accept4(lfd, (struct sockaddr*)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    char ip[INET_ADDRSTRLEN];
                    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
                    c->name_len = (size_t)snprintf(c->name, sizeof c->name, "%s:%d", ip, ntohs(peer.sin_port));
                    if (client_count == client_cap) {
                        client_cap = client_cap ? client_cap * 2 : 1024;
                        clients = realloc(clients, client_cap * sizeof *clients);
                    }
                    clients[client_count++] = c;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
                    queue(c, "* welcome ", 10, c->name, c->name_len);
                    queue(c, "\n", 1, "", 0);
                    flush_out(c);
                }
                continue;
            }
            if ((events[i].events & (EPOLLERR | EPOLLHUP)) || ((events[i].events & EPOLLIN) && readable(c) < 0)) {
                drop(c);
                /* later events in this batch may name the dropped client: rescan is not
                   needed because each client appears once per batch and is not reused */
                continue;
            }
            if (events[i].events & EPOLLOUT) flush_out(c);
        }
        /* send what the relays queued this round */
        for (size_t k = 0; k < client_count; ++k)
            if (clients[k]->out_len > clients[k]->out_sent && !clients[k]->want_out) flush_out(clients[k]);
    }
    printf("chat_room: stopped\n");
    return 0;
}
