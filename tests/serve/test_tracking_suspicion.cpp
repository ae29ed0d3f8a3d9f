// What tells a machine's open or click from a person's: the request, the agent, the time since
// the send, and every link of a message followed together.
#include <doctest/doctest.h>

#include "serve/web_app.hpp"

namespace outreach::detail {

TEST_SUITE("test_serve") {

TEST_CASE("hits that look like machines are suspect, and say why") {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  const std::string_view person = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko)";
  CHECK(tracking_suspicion(false, person, minutes(30), false).empty());
  CHECK(tracking_suspicion(true, person, minutes(30), false) == "head_request");
  CHECK(tracking_suspicion(false, person, minutes(30), true) == "every_link_at_once");
  CHECK(tracking_suspicion(false, person, milliseconds(4000), false) == "seconds_after_send");
  CHECK(tracking_suspicion(false, person, milliseconds(-2000), false) == "seconds_after_send");
  CHECK(tracking_suspicion(false, "", minutes(30), false) == "no_user_agent");
  CHECK(tracking_suspicion(false, "Mozilla/5.0", minutes(30), false) == "privacy_proxy");
  // Gmail's and Yahoo's proxies fetch when the person opens the mail; Outlook names itself.
  CHECK(tracking_suspicion(false, "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
                           minutes(30), false).empty());
  CHECK(tracking_suspicion(false, "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
                           minutes(30), false).empty());
  CHECK(tracking_suspicion(false, "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
                           minutes(30), false).empty());
  for (const std::string_view machine : {"Mozilla/5.0 (compatible; bingbot/2.0)", "python-requests/2.31",
                                         "curl/7.88.1", "Barracuda Sentinel (EE)", "Mozilla/5.0 Proofpoint URL Defense",
                                         "Microsoft Office Existence Discovery", "Go-http-client/1.1"}) {
    CHECK_MESSAGE(tracking_suspicion(false, machine, minutes(30), false) == "scanner", machine);
  }
}

}  // TEST_SUITE

}  // namespace outreach::detail
