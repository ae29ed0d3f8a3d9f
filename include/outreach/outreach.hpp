/// @file outreach.hpp
/// @brief The whole public C++ API of outreach in one include.
#pragma once

#include "outreach/address.hpp"
#include "outreach/error.hpp"
#include "outreach/lead.hpp"
#include "outreach/message.hpp"
#include "outreach/render.hpp"
#include "outreach/sequence.hpp"
#include "outreach/template.hpp"
#include "outreach/version.hpp"
