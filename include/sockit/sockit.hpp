// SPDX-License-Identifier: MIT
// Everything sockit offers, in one include.
#pragma once

#include "sockit/address.hpp"
#include "sockit/buffer.hpp"
#include "sockit/connect_options.hpp"
#include "sockit/descriptor.hpp"
#include "sockit/error.hpp"
#include "sockit/interfaces.hpp"
#include "sockit/options.hpp"
#include "sockit/poller.hpp"
#include "sockit/socket.hpp"
#include "sockit/stream.hpp"
#include "sockit/tcp.hpp"
#include "sockit/tcp_info.hpp"
#include "sockit/udp.hpp"
#include "sockit/unix.hpp"
#include "sockit/unix_address.hpp"
#include "sockit/unix_datagram.hpp"
#include "sockit/unix_socket.hpp"
#include "sockit/unix_stream.hpp"
#include "sockit/version.hpp"
