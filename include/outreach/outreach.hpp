/// @file outreach.hpp
/// @brief The whole public C++ API of outreach in one include.
#pragma once

#include "outreach/address.hpp"
#include "outreach/campaign.hpp"
#include "outreach/classify.hpp"
#include "outreach/clock.hpp"
#include "outreach/dkim.hpp"
#include "outreach/engine.hpp"
#include "outreach/error.hpp"
#include "outreach/event.hpp"
#include "outreach/explain.hpp"
#include "outreach/forecast.hpp"
#include "outreach/inbound.hpp"
#include "outreach/ingest.hpp"
#include "outreach/instant.hpp"
#include "outreach/lead.hpp"
#include "outreach/lead_list.hpp"
#include "outreach/mailbox.hpp"
#include "outreach/mailbox_transport.hpp"
#include "outreach/memory_store.hpp"
#include "outreach/memory_transport.hpp"
#include "outreach/message.hpp"
#include "outreach/mime.hpp"
#include "outreach/open_store.hpp"
#include "outreach/outbox_transport.hpp"
#include "outreach/render.hpp"
#include "outreach/request.hpp"
#include "outreach/schedule.hpp"
#include "outreach/sequence.hpp"
#include "outreach/smtp_transport.hpp"
#include "outreach/steering.hpp"
#include "outreach/store.hpp"
#include "outreach/store_view.hpp"
#include "outreach/summary.hpp"
#include "outreach/suppression_list.hpp"
#include "outreach/template.hpp"
#include "outreach/timezone.hpp"
#include "outreach/transport.hpp"
#include "outreach/unsubscribe.hpp"
#include "outreach/version.hpp"

// The backends a build may leave out (OUTREACH_WITH_*): installed only when built.
#if __has_include("outreach/sqlite_store.hpp")
#include "outreach/sqlite_store.hpp"
#endif
#if __has_include("outreach/mail_reading.hpp")
#include "outreach/imap_reader.hpp"
#include "outreach/mail_reading.hpp"
#endif
