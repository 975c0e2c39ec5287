// SPDX-License-Identifier: MIT
// Everything sockit offers, in one include.
#pragma once

#include "sockit/address.hpp"
#include "sockit/buffer.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/socket.hpp"
#include "sockit/stream.hpp"
#include "sockit/tcp.hpp"
#include "sockit/udp.hpp"
#include "sockit/version.hpp"
