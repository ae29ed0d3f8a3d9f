// Realistic cold-email messages for the transport and signing benchmarks: composed by
// outreach::compose with the headers a campaign writes (List-Unsubscribe with one-click, threading
// headers on follow-ups) and a personalized text body, about 2 KB each.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include "outreach/message.hpp"

namespace bench {

// The body's paragraphs vary with the lead so that no two messages are byte-identical (as in a
// real campaign, where a server or a signer cannot cache anything from one message to the next).
inline std::string campaign_body(const std::string& first_name, const std::string& company, std::size_t variant) {
  static constexpr const char* openers[] = {"Saw", "Noticed", "Read"};
  static constexpr const char* news[] = {"is growing its sales team", "is hiring account executives",
                                         "is opening a new office in Lisbon"};
  static constexpr const char* days[] = {"Tuesday", "Wednesday", "Thursday"};
  std::string text;
  text.reserve(1800);
  text += "Hi " + first_name + ",\n\n";
  text += std::string(openers[variant % 3]) + " that " + company + " " + news[(variant / 3) % 3] +
          ". Most founders we talk to lose hours every week stitching outreach together by hand: "
          "spreadsheets of leads, a mail merge, reminders for follow-ups, and a shared inbox nobody owns.\n\n";
  text += "Acme runs your cold email from inside your own product. Sequences, schedules and follow-ups live "
          "next to your CRM data, replies and bounces are handled for you, and there is no extra seat to pay "
          "for. Teams like " + company + " usually start with one mailbox and a three-step sequence, and see "
          "their first replies within a week.\n\n";
  text += "A few things customers tell us they did not expect:\n\n"
          "- follow-ups stop by themselves the moment someone replies, from any address of their company;\n"
          "- every mailbox warms up on its own schedule, so a new domain never sends a hundred messages on "
          "its first day;\n"
          "- unsubscribes are one click, honoured across every campaign, and never need a spreadsheet;\n"
          "- bounces and out-of-office replies are told apart, so a holiday never ends a conversation that "
          "was going well.\n\n";
  text += "Would a 15-minute call next " + std::string(days[variant % 3]) +
          " be useful? If you are not the right person at " + company +
          ", a pointer to whoever owns outbound would be much appreciated.\n\n";
  text += "Best,\nAlice Doe\nHead of Growth, Acme | alice@acme.example | +1 415 555 0134\n\n"
          "P.S. If outbound is not a priority this quarter, just say so and I will not follow up again.\n";
  return text;
}

// `count` composed messages from one sender to distinct leads; every third one is a follow-up
// (In-Reply-To and References). Returns an empty vector, after printing why, if compose fails.
inline std::vector<outreach::Message> campaign_messages(std::size_t count) {
  static constexpr const char* first_names[] = {"Maria", "Kenji", "Amelia", "Noah", "Priya", "Lucas", "Ingrid"};
  static constexpr const char* last_names[] = {"Lopez", "Tanaka", "Walsh", "Okafor", "Raman", "Moreau", "Berg"};
  static constexpr const char* companies[] = {"Brightloop", "Kestrel Labs", "Northwind Analytics", "Umbra Health",
                                              "Quillpad"};
  const outreach::Address sender{.name = "Alice Doe", .email = "alice@acme.example"};
  const auto date = std::chrono::sys_seconds{std::chrono::seconds{1796134992}};
  std::vector<outreach::Message> messages;
  messages.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string first_name = first_names[i % std::size(first_names)];
    const std::string company = companies[(i / 7) % std::size(companies)];
    const std::string email = "lead" + std::to_string(i) + "@company" + std::to_string(i % 997) + ".example";
    const bool follow_up = i % 3 == 2;
    outreach::MessageDraft draft;
    draft.from = sender;
    draft.to = {.name = first_name + " " + last_names[(i / 3) % std::size(last_names)], .email = email};
    draft.subject = follow_up ? "Re: Quick question about " + company : "Quick question about " + company;
    draft.text = campaign_body(first_name, company, i);
    draft.message_id = outreach::make_message_id("q4-founders", email, follow_up ? 2 : 1, "acme.example");
    draft.date = date + std::chrono::seconds{static_cast<long>(i)};
    if (follow_up) {
      const std::string first = outreach::make_message_id("q4-founders", email, 1, "acme.example");
      draft.in_reply_to = first;
      draft.references = {first};
    }
    draft.list_unsubscribe_url = "https://acme.example/unsubscribe/q4-founders/" + std::to_string(i * 7919 + 13);
    draft.list_unsubscribe_mailto = "unsubscribe@acme.example";
    auto message = outreach::compose(draft);
    if (!message) {
      std::fprintf(stderr, "benchmark: compose failed: %s\n", message.error().to_string().c_str());
      return {};
    }
    messages.push_back(std::move(*message));
  }
  return messages;
}

inline double average_size(const std::vector<outreach::Message>& messages) {
  std::size_t bytes = 0;
  for (const auto& message : messages) bytes += message.data.size();
  return messages.empty() ? 0.0 : static_cast<double>(bytes) / static_cast<double>(messages.size());
}

}  // namespace bench
