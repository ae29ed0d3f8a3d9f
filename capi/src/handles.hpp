// The handles of the C interface that hold plain values.
#pragma once

#include "outreach/campaign.hpp"
#include "outreach/sequence.hpp"

/// A sequence: immutable, so any number of threads may read it.
struct outreach_sequence {
  outreach::Sequence sequence;
};

/// A campaign definition: immutable once loaded.
struct outreach_campaign {
  outreach::CampaignDefinition definition;
};
