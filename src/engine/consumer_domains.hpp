// Mail domains of consumer mailbox providers: a reply from one of them says nothing about
// other people with the same domain, so `domain_reply` does not stop them.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace outreach::detail {

inline constexpr std::array<std::string_view, 44> consumer_mail_domains{
    "126.com",       "163.com",       "aol.com",       "att.net",      "comcast.net",    "fastmail.com",
    "free.fr",       "gmail.com",     "gmx.at",        "gmx.com",      "gmx.de",         "gmx.net",
    "googlemail.com","hey.com",       "hotmail.co.uk", "hotmail.com",  "hotmail.de",     "hotmail.fr",
    "icloud.com",    "laposte.net",   "libero.it",     "live.com",     "mac.com",        "mail.com",
    "mail.ru",       "me.com",        "msn.com",       "naver.com",    "orange.fr",      "outlook.com",
    "proton.me",     "protonmail.com","qq.com",        "t-online.de",  "tutanota.com",   "verizon.net",
    "web.de",        "yahoo.co.uk",   "yahoo.com",     "yahoo.de",     "yahoo.fr",       "yandex.ru",
    "ymail.com",     "zoho.com"};

/// True for a consumer mail domain (the argument in lower case).
[[nodiscard]] inline bool is_consumer_mail_domain(std::string_view domain) noexcept {
  return std::binary_search(consumer_mail_domains.begin(), consumer_mail_domains.end(), domain);
}

}  // namespace outreach::detail
