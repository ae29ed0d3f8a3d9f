/// @file outbox_transport.hpp
/// @brief `OutboxTransport`: writes each message as a `.eml` file into a Maildir, so nothing
/// needs a mail server to try the library.
#pragma once

#include <filesystem>

#include "outreach/error.hpp"
#include "outreach/transport.hpp"

namespace outreach {

/// @brief Delivers into a Maildir (`tmp/`, `new/`, `cur/`): each message is written to `tmp/`
/// and renamed into `new/` as `<message id>.eml` (the id without brackets, characters other
/// than letters, digits, `.`, `-`, `_` and `@` replaced by `_`), so a reader never sees a
/// partial file and the same message written twice is one file.
class OutboxTransport final : public Transport {
 public:
  /// @brief Creates the Maildir folders when they do not exist.
  /// @param directory The Maildir.
  /// @return The transport, or `io_error` naming the folder.
  [[nodiscard]] static expected<OutboxTransport> open(const std::filesystem::path& directory);

  /// @brief Writes the message; a file system error is a temporary failure (it is tried again).
  SendOutcome send(const Mailbox& mailbox, const Message& message) override;

  /// @brief The Maildir.
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

  /// @brief The file name a message gets.
  /// @param message_id The Message-ID, with or without brackets.
  [[nodiscard]] static std::string file_name(std::string_view message_id);

 private:
  explicit OutboxTransport(std::filesystem::path directory) : directory_(std::move(directory)) {}
  std::filesystem::path directory_;
};

}  // namespace outreach
