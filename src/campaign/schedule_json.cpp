#include "campaign/schedule_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "util/utf8.hpp"

namespace outreach::detail {

namespace json = boost::json;

namespace {

using std::chrono::local_days;

// Index 0 = Sunday, as in Schedule::days.
constexpr std::array<std::string_view, 7> day_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// `"text"` for a message, shortened on a character boundary, without control characters.
std::string excerpt(std::string_view text) {
  constexpr std::size_t max_bytes = 40;
  std::string out = "\"";
  const std::size_t size = utf8_prefix(text, max_bytes).size();
  for (std::size_t i = 0; i < size; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    out += (byte < 0x20 || byte == 0x7F) ? '?' : text[i];
  }
  if (size < text.size()) out += "...";
  out += '"';
  return out;
}

std::string found(const json::value& value) {
  if (const json::string* text = value.if_string()) return "found " + excerpt(*text);
  return "found " + std::string(describe_type(value));
}

void report(ErrorList& errors, std::string message, const std::string& path, Errc code = Errc::invalid_value) {
  errors.add(Error(code, std::move(message), Location::at(path)));
}

// The array at `key`, or null (with an error when present but not an array, or too long).
const json::array* read_array(ObjectReader& reader, std::string_view key, std::string_view what, std::size_t max) {
  const json::value* value = reader.find(key);
  if (!value) return nullptr;
  const json::array* array = value->if_array();
  if (!array) {
    report(reader.errors(), "expected an array of " + std::string(what) + ", " + found(*value), reader.path(key));
    return nullptr;
  }
  if (array->size() > max) {
    report(reader.errors(), "at most " + std::to_string(max) + " " + std::string(what), reader.path(key),
           Errc::limit_exceeded);
    return nullptr;
  }
  return array;
}

std::optional<std::array<bool, 7>> read_days(ObjectReader& reader) {
  const json::array* array = read_array(reader, "days", "day names", 7);
  if (!array) return std::nullopt;
  const std::string path = reader.path("days");
  if (array->empty()) {
    report(reader.errors(), "at least one sending day", path);
    return std::nullopt;
  }
  std::array<bool, 7> chosen{};
  bool good = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const json::value& element = (*array)[i];
    const json::string* name = element.if_string();
    const auto known = name ? std::find(day_names.begin(), day_names.end(), std::string_view(*name)) : day_names.end();
    if (known == day_names.end()) {
      report(reader.errors(), "expected a day: mon, tue, wed, thu, fri, sat or sun, " + found(element),
             path_index(path, i));
      good = false;
      continue;
    }
    const auto index = static_cast<std::size_t>(known - day_names.begin());
    if (chosen[index]) {
      report(reader.errors(), excerpt(*name) + " is listed twice", path_index(path, i));
      good = false;
    }
    chosen[index] = true;
  }
  if (!good) return std::nullopt;
  return chosen;
}

std::string format_minutes(std::chrono::minutes time) {
  const auto count = time.count();
  std::string out;
  out += static_cast<char>('0' + count / 600);
  out += static_cast<char>('0' + count / 60 % 10);
  out += ':';
  out += static_cast<char>('0' + count % 60 / 10);
  out += static_cast<char>('0' + count % 10);
  return out;
}

std::optional<std::vector<HourWindow>> read_hours(ObjectReader& reader) {
  const json::array* array = read_array(reader, "hours", "windows", max_hour_windows);
  if (!array) return std::nullopt;
  const std::string path = reader.path("hours");
  if (array->empty()) {
    report(reader.errors(), "at least one window, such as \"09:00-17:00\"", path);
    return std::nullopt;
  }
  std::vector<std::pair<HourWindow, std::size_t>> windows;  // with the index each was given at
  bool good = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const json::value& element = (*array)[i];
    const json::string* text = element.if_string();
    if (!text) {
      report(reader.errors(), "expected a window HH:MM-HH:MM, " + found(element), path_index(path, i));
      good = false;
      continue;
    }
    auto window = HourWindow::parse(*text);
    if (!window) {
      report(reader.errors(), window.error().message() + ", found " + excerpt(*text), path_index(path, i));
      good = false;
      continue;
    }
    windows.emplace_back(*window, i);
  }
  if (!good) return std::nullopt;
  std::stable_sort(windows.begin(), windows.end(),
                   [](const auto& a, const auto& b) { return a.first.start < b.first.start; });
  for (std::size_t k = 1; k < windows.size(); ++k) {
    const HourWindow& earlier = windows[k - 1].first;
    const HourWindow& later = windows[k].first;
    if (later.start < earlier.end) {
      report(reader.errors(),
             "overlaps the window " + format_minutes(earlier.start) + "-" + format_minutes(earlier.end) +
                 " (hours[" + std::to_string(windows[k - 1].second) + "])",
             path_index(path, windows[k].second));
      good = false;
    }
  }
  if (!good) return std::nullopt;
  std::vector<HourWindow> sorted;
  sorted.reserve(windows.size());
  for (const auto& [window, index] : windows) sorted.push_back(window);
  return sorted;
}

std::optional<std::vector<std::chrono::year_month_day>> read_skip_dates(ObjectReader& reader) {
  const json::array* array = read_array(reader, "skip_dates", "dates", max_skip_dates);
  if (!array) return std::nullopt;
  const std::string path = reader.path("skip_dates");
  std::vector<std::chrono::year_month_day> dates;
  dates.reserve(array->size());
  bool good = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const json::value& element = (*array)[i];
    const json::string* text = element.if_string();
    const auto date = text ? parse_date(*text) : std::nullopt;
    if (!date) {
      report(reader.errors(), "expected a date YYYY-MM-DD, " + found(element), path_index(path, i));
      good = false;
      continue;
    }
    dates.push_back(*date);
  }
  if (!good) return std::nullopt;
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  return dates;
}

enum class DateMeans { day_start, day_end };

// `start` or `end`: an RFC 3339 instant, or a date taken in the schedule's zone. `zone` is
// null when the zone is unknown (already reported): a date then gives nothing.
std::optional<Instant> read_moment(ObjectReader& reader, std::string_view key, const TimeZone* zone,
                                   DateMeans date_means) {
  const json::value* value = reader.find(key);
  if (!value) return std::nullopt;
  const json::string* text = value->if_string();
  if (text) {
    if (const auto date = parse_date(*text)) {
      if (!zone) return std::nullopt;
      const local_days day{*date};
      return zone->to_instant(LocalTime{date_means == DateMeans::day_start ? day : day + std::chrono::days{1}});
    }
    if (const auto instant = parse_instant(*text)) return instant;
  }
  report(reader.errors(),
         "expected a date (YYYY-MM-DD) or an instant (YYYY-MM-DDTHH:MM:SSZ), " + found(*value), reader.path(key));
  return std::nullopt;
}

}  // namespace

json::object schedule_to_json(const Schedule& schedule) {
  json::object out;
  out["timezone"] = schedule.timezone.name();
  out["lead_timezone"] = schedule.lead_timezone;
  json::array days;
  for (std::size_t i = 1; i <= day_names.size(); ++i) {
    const std::size_t day = i % day_names.size();  // Monday first, as people list a week
    if (schedule.days[day]) days.emplace_back(day_names[day]);
  }
  out["days"] = std::move(days);
  json::array hours;
  for (const HourWindow& window : schedule.hours) {
    hours.emplace_back(format_minutes(window.start) + "-" + format_minutes(window.end));
  }
  out["hours"] = std::move(hours);
  const auto moment = [](const std::optional<Instant>& instant) {
    return instant ? json::value(format_instant(*instant)) : json::value(nullptr);
  };
  out["start"] = moment(schedule.start);
  out["end"] = moment(schedule.end);
  json::array skip_dates;
  for (const auto& date : schedule.skip_dates) skip_dates.emplace_back(format_date(date));
  out["skip_dates"] = std::move(skip_dates);
  return out;
}

Schedule schedule_from_json(const json::value& value, const std::string& path, ErrorList& errors) {
  Schedule schedule;
  ObjectReader reader(value, path, errors);
  bool zone_known = false;
  if (auto name = reader.string("timezone", /*required=*/reader.is_object())) {
    if (auto zone = TimeZone::locate(*name)) {
      schedule.timezone = *zone;
      zone_known = true;
    } else {
      report(errors, "unknown time zone " + excerpt(*name) + ": expected an IANA name such as \"America/New_York\"",
             reader.path("timezone"));
    }
  }
  schedule.lead_timezone = reader.boolean("lead_timezone").value_or(false);
  if (auto days_chosen = read_days(reader)) schedule.days = *days_chosen;
  if (auto hours = read_hours(reader)) schedule.hours = std::move(*hours);
  const TimeZone* zone = zone_known ? &schedule.timezone : nullptr;
  schedule.start = read_moment(reader, "start", zone, DateMeans::day_start);
  schedule.end = read_moment(reader, "end", zone, DateMeans::day_end);
  if (schedule.start && schedule.end && *schedule.end <= *schedule.start) {
    report(errors, "the end must come after the start", reader.path("end"));
  }
  if (auto skip_dates = read_skip_dates(reader)) schedule.skip_dates = std::move(*skip_dates);
  reader.reject_unknown_keys();
  return schedule;
}

}  // namespace outreach::detail
