app-name = Frontdesk
sign-in = Sign in
sign-out = Sign out
email = Email
password = Password
name = Name
bad-credentials = That email and password do not match an account.
session-expired = Your session has expired. Sign in again.
stale-form = This form had expired, so nothing was saved. Please try again.
forbidden = You do not have permission to see this page.
not-found = This page does not exist.
first-run-title = Welcome! Create the first administrator
first-run-intro = This Frontdesk has no users yet. The account you create now administers it.
create-admin = Create administrator
password-too-short = The password needs at least { $min } characters.
name-blank = Give a name.
email-invalid = This is not an email address.
views = Views
no-views = No views yet.
tickets-count = { $count ->
    [one] { $count } ticket
   *[other] { $count } tickets
}
no-tickets = No tickets here.
subject = Subject
requester = Requester
assignee = Assignee
status = Status
priority = Priority
updated = Updated
created = Created
organization = Organization
group = Group
tags = Tags
unassigned = Unassigned
public-reply = Public reply
internal-note = Internal note
conversation = Conversation
previous = Previous
next = Next
page-of = Page { $page } of { $pages }
status-new = New
status-open = Open
status-pending = Pending
status-hold = On hold
status-solved = Solved
status-closed = Closed
reply = Reply
reply-public = Public reply
reply-internal = Internal note
assign-to-me = Assign to me
submit-as = Submit as { $status }
saved = Saved.
conflict = Someone changed this ticket while you were writing. Nothing was saved: here it is now; your text is kept below.
error-field = { $field }: { $message }
macro = Macro
preview = Preview
apply-macro = Apply this macro
macro-preview = What “{ $title }” would do (nothing is saved yet)
my-requests = My requests
new-request = New request
description = How can we help?
submit-request = Submit request
no-requests = You have no requests yet.
send-reply = Send reply
support-team = Support
skip-to-content = Skip to content
main-menu = Main menu
admin = Admin
search = Search
search-placeholder = Search tickets, people…
search-query = Query
search-help = For example: status<solved assignee:me tags:vip "refund request" created>1week
people = People
organizations = Organizations
tickets = Tickets
new-ticket = New ticket
ticket = Ticket
history = History
properties = Properties
other-tickets = Their other tickets
comments-shown = Showing the latest { $shown } of { $total } comments.
markdown-hint = Formatting with Markdown: **bold**, _italic_, lists, `code`, [links](https://example.com).
tags-hint = Separated by spaces.
type = Type
priority-low = Low
priority-normal = Normal
priority-high = High
priority-urgent = Urgent
type-question = Question
type-incident = Incident
type-problem = Problem
type-task = Task
someone-viewing = { $name } is viewing this ticket
someone-typing = { $name } is typing…
ticket-changed = This ticket changed since you opened it. Reload to see the change; a submit now would be refused.
via = via { $channel }
event-change = { $field } changed from { $previous } to { $value }
event-create = { $field } set to { $value }
column-subject = Subject
column-requester = Requester
column-assignee = Assignee
column-group = Group
column-organization = Organization
column-status = Status
column-custom_status_id = Ticket status
column-priority = Priority
column-type = Type
column-created = Requested
column-updated = Updated
column-due_date = Due date
select-all = Select every ticket on this page
select-ticket = Select ticket { $id }
pages = Pages
bulk-update = Bulk update
bulk-which = Which tickets
bulk-selected = The selected tickets
bulk-page = Every ticket on this page
bulk-all = { $count ->
    [one] The { $count } ticket this list matches
   *[other] All { $count } tickets this list matches
}
unchanged = Unchanged
add-tags = Add tags
remove-tags = Remove tags
bulk-apply = Apply to the tickets
bulk-bad-status = That status cannot be set in bulk.
bulk-nothing = Choose a change, a macro or a note to apply.
bulk-nothing-selected = No tickets were selected.
job-progress = { $done } of { $total } tickets done
job-completed = Completed
job-failed = Failed
job-queued = Waiting
job-running = Running
job-failures = { $count ->
    [one] { $count } ticket could not be changed
   *[other] { $count } tickets could not be changed
}
back = Back
edit = Edit
role = Role
role-end-user = Customer
role-agent = Agent
role-admin = Administrator
time-zone = Time zone
language = Language
identities = Identities
primary = primary
suspended = Suspended
requested-tickets = Tickets requested
assigned-tickets = Tickets assigned
domains = Domains
details = Details
notes = Notes
requester-email = Requester’s email
requester-name = Requester’s name
subject-blank = Give a subject.
description-blank = Write what the ticket is about.
shortcuts = Keyboard shortcuts
shortcut-rows = Next / previous ticket in the list
shortcut-select = Select the ticket
shortcut-search = Search
shortcut-reply = Write a reply
shortcut-submit = Submit with the ticket’s current status
admin-users = Users
admin-organizations = Organizations
admin-groups = Groups
admin-ticket_fields = Ticket fields
admin-user_fields = User fields
admin-organization_fields = Organization fields
admin-custom_statuses = Ticket statuses
admin-views = Views
admin-macros = Macros
admin-triggers = Triggers
admin-automations = Automations
admin-webhooks = Webhooks
admin-api_tokens = API tokens
admin-recipient_addresses = Support addresses
admin-settings = Account settings
admin-new = New
admin-none = Nothing here yet.
admin-save = Save
admin-delete = Delete
field-name = Name
field-email = Email
field-role = Role
field-organization_id = Organization id
field-phone = Phone
field-time_zone = Time zone (IANA, for example America/Sao_Paulo)
field-locale = Language
field-suspended = Suspended (cannot sign in)
field-tags = Tags
field-notes = Notes
field-password = New password (leave empty to keep it)
field-domain_names = Email domains
field-group_id = Group
field-shared_tickets = Members see each other's tickets
field-shared_comments = Members can comment on each other's tickets
field-details = Details
field-description = Description
field-type = Type
field-title = Title
field-key = Key
field-active = Active
field-required = Required to solve
field-visible_in_portal = Shown to customers
field-editable_in_portal = Customers can fill it in
field-required_in_portal = Customers must fill it in
field-regexp_for_validation = Pattern (regular expression)
field-custom_field_options = Choices
field-status_category = Category
field-agent_label = Label for agents
field-end_user_label = Label for customers
field-end_user_description = Description for customers
field-conditions = Conditions
field-columns = Columns
field-sort_by = Sort by
field-sort_order = Sort order
field-group_by = Group by
field-actions = Actions
field-endpoint = Endpoint URL
field-http_method = HTTP method
field-request_format = Request format
field-status = Status
field-user_id = User id
field-created_at = Created
field-last_used_at = Last used
field-position = Position
field-default = Default
field-brand_name = Brand name
hint-lines = One per line.
hint-options = One choice per line: name | value.
conditions-all = Meet all of these
conditions-any = Meet any of these
rule-field = Field
rule-operator = Operator
rule-value = Value
error-blank = This cannot be blank.
error-taken = This is already taken.
error-invalid = Not accepted:
token-created = The new token is { $token } — copy it now: it will not be shown again.
reset-link-made = A one-time link to set a new password (valid for a day): { $link }
reset-link-used = This link has been used or has expired. Ask an administrator for a new one.
reset-link-make = Make a one-time link to set a new password
passwords-differ = The two passwords differ.
reset-title = Set a new password
new-password = New password
confirm-password = The new password again
set-password = Set password
simulator = { $count ->
    [one] { $count } ticket matches now
   *[other] { $count } tickets match now
}
identity-type = Kind
identity-value = Value
identity-add = Add identity
password-reset-done = Your password is set. Sign in with it.
portal-field-required = { $field }: this needs an answer.
view-mine = Your unsolved tickets
view-unassigned = Unassigned tickets
view-unsolved = All unsolved tickets
view-pending = Pending tickets
view-solved = Recently solved tickets
field-campaign_interval_days = Least days between two campaign tickets to one customer
campaigns = Campaigns
campaign-new = New campaign
campaign-find = Find customers
campaign-find-text = Any user field (name, email, phone, notes, tags, organization, custom fields)
campaign-find-fields = Custom fields, one key:value a line
campaign-per-page = Customers a page
campaign-found = { $count ->
    [one] { $count } customer found
   *[other] { $count } customers found
}
select-all-customers = Select every customer on this page
campaign-all-matching = Every customer this search finds ({ $count }), not only those selected
campaign-compose = Compose the ticket
campaign-name = Campaign name
campaign-name-hint = Unique; it becomes a tag on every ticket of the campaign.
campaign-placeholders = Markdown. Placeholders: {"{{"}user.first_name{"}}"}, {"{{"}user.name{"}}"}, {"{{"}user.email{"}}"}, {"{{"}user.organization.name{"}}"}, {"{{"}user.custom_fields.<key>{"}}"}.
campaign-preview = Preview
campaign-tag-is = Tag on every ticket:
campaign-customers = Customers
campaign-will-create = Tickets to create
campaign-skipped = Skipped
campaign-failed = Failed
campaign-created = Created
campaign-samples = Three of the tickets, as the customers will get them
campaign-override = Include customers contacted recently (override the frequency cap)
campaign-send = { $count ->
    [one] Send { $count } ticket
   *[other] Send { $count } tickets
}
campaign-state = State
campaign-state-queued = Queued
campaign-state-running = Sending
campaign-state-paused = Paused
campaign-state-completed = Completed
campaign-state-failed = Failed
campaign-pause = Pause
campaign-resume = Resume
campaign-view = Open the campaign's view
campaign-report = Report
campaign-replied = Customers who replied
campaign-median-reply = Median time to their first reply
campaign-permission = Running campaigns needs the “run campaigns” permission, which an administrator can give you.
skip-not_found = Not found
skip-not_a_customer = Not a customer (agents and admins)
skip-suspended = Suspended
skip-opted_out = Opted out of campaigns
skip-contacted_recently = Reached by another campaign recently
warning-capacity = Capacity: { $count } tickets are about { $days } days of work at the { $per_day } tickets a day solved over the last 30 days.
warning-capacity-none = Capacity: { $count } tickets, and no tickets were solved over the last 30 days by this assignee or group.
warning-frequency = Contact frequency: { $count } customers had a campaign ticket in the last { $days } days and are skipped.
campaign-round-robin = Round-robin: deal the tickets to the group's agents in turn

## Links by email
link-heading = No password, or forgot it?
link-sign-in = Email me a sign-in link
link-reset = Email me a link to set a password
link-sent = If { $email } has an account here, a link is on its way to it. It works once.
link-too-many = Too many attempts from here. Wait a few minutes and try again.
sign-in-as = Sign in as { $email }.
sign-in-link-used = This sign-in link has been used or has expired. Ask for a new one on the sign-in page.
mail-hello = Hello { $name },
mail-sign-in-body = Follow this link to sign in to { $account }. It works once, within 20 minutes.
mail-reset-body = Follow this link to set a new password for { $account }. It works once, within a day.
mail-link-ignore = If you did not ask for this, ignore this message: nothing changes.
mail-sign-in-subject = Your sign-in link for { $account }
mail-reset-subject = Set your password for { $account }

## Refusals of the server's checks, by kind
error-too-long = Too long: at most { $max } characters.
error-time-zone = “{ $value }” is not a time zone.
error-phone = “{ $value }” is not a phone number.
error-domain = “{ $value }” is not a domain name.
error-whole-number = { $field }: “{ $value }” is not a whole number.
error-number = { $field }: “{ $value }” is not a number.
error-date = { $field }: “{ $value }” is not a date (such as 2026-12-01).
error-true-false = { $field }: “{ $value }” is neither yes nor no.
error-pattern = { $field }: “{ $value }” is not in the expected format.
error-option = { $field }: “{ $value }” is not one of the options.
error-text-value = { $field }: this text is not accepted (too long, or a line break in a one-line field).
error-required-to-solve = { $field } must be filled in to solve the ticket.
error-audience-empty = The audience is empty: give a search or pick customers.
error-placeholder = A placeholder on line { $line } cannot be filled in.
error-placeholder-syntax = A placeholder on line { $line } is not written correctly: check its {"{{"} and {"}}"}.
error-placeholder-undefined = A placeholder on line { $line } names something that does not exist.

attachments = Attachments
mail-reply-above = Reply to this message to add to your request #{ $id }, or follow it online:
mail-open-ticket = Open ticket #{ $id }:

## Default triggers (their text is the admin's to edit)
trigger-ack-title = Notify requester of new request
trigger-ack-subject = [#{"{{"}ticket.id{"}}"}] We received your request: {"{{"}ticket.subject{"}}"}
trigger-ack-body = Hello {"{{"}ticket.requester.first_name{"}}"},
    
    we received your request "{"{{"}ticket.subject{"}}"}" (#{"{{"}ticket.id{"}}"}). Our team will answer soon; reply to this message to add anything.
trigger-assigned-title = Notify assignee of assignment
trigger-assigned-subject = [#{"{{"}ticket.id{"}}"}] Assigned to you: {"{{"}ticket.subject{"}}"}
trigger-assigned-body = Ticket #{"{{"}ticket.id{"}}"} "{"{{"}ticket.subject{"}}"}" from {"{{"}ticket.requester.name{"}}"} is now assigned to you{"{%"} if ticket.priority {"%}"} (priority: {"{{"}ticket.priority{"}}"}){"{%"} endif {"%}"}.

## Unsubscribing from campaign mail
unsubscribe-title = Unsubscribe
unsubscribe-ask = Stop proactive messages (campaigns) to { $email }? Your requests and their replies are not affected.
unsubscribe-button = Unsubscribe
unsubscribe-done = Done: { $email } will get no more campaign messages.
unsubscribe-link-unknown = This unsubscribe link is not valid (it may have expired).

## History
custom-status = Custom status
event-notification = Notification “{ $subject }” for { $count ->
    [one] one recipient
   *[other] { $count } recipients
}
yes = Yes
no = No
newer-requests = Newer requests
older-requests = Older requests
form-has-errors = Please correct the fields marked below.

## Refusals of values (the domain's checks)
error-not-one-of = “{ $value }” is not valid; expected one of: { $expected }.
error-handle-length = A handle needs 1 to 255 characters.
error-email-too-long = An email address has at most 254 characters.
error-email = “{ $value }” is not an email address.
error-cpf-digits = “{ $value }” is not a CPF: it needs 11 digits.
error-cpf = “{ $value }” is not a valid CPF.
error-locale = “{ $value }” is not a language we offer (English, Brazilian Portuguese or Japanese).
error-field-key = A key starts with a lowercase letter and holds only a–z, 0–9 and _ (at most { $max } characters).
error-bad-pattern = This is not a valid regular expression.
error-field-value = { $field }: this value is not accepted.
error-tag-blank = A tag cannot be blank.
error-tag-too-long = The tag “{ $value }” is longer than { $max } characters.
error-no-such-field = There is no custom field { $field }.

## Search language errors
search-term-expected = A search term is missing here.
search-too-many-terms = The search has more than { $max } terms.
search-too-deep = Parentheses are nested more than { $max } deep.
search-unclosed-paren = The parenthesis opened at character { $at } is never closed.
search-unexpected = “{ $char }” is not expected here.
search-needs-value = { $term } needs a value.
search-bare-wildcard = A wildcard (*) needs some text before it.
search-unclosed-quote = This quote is never closed.
search-empty-phrase = An empty phrase matches nothing.
search-too-long = The search is longer than { $max } characters.
search-empty = The search is empty.
search-given-twice = { $field } is given twice.
search-ordering-nested = order_by and sort apply to the whole search: use them outside parentheses, OR and -.
search-colon-only = { $field } can only be compared with “:”.
search-bad-type = type is ticket, user or organization, not “{ $value }”.
search-needs-id = { $field } needs an id, not “{ $value }”.
search-unknown-field = There is no field “{ $field }” here. Known fields: { $known }.
search-not-an-option = “{ $value }” is not an option of { $field } ({ $expected }).
search-not-a-time = “{ $value }” is not a date (2026-01-31), a time (2026-01-31T10:00:00Z) or an age (3days, 4hours).
search-bad-field-value = “{ $value }” is not a valid value for { $field }.

## Refusals of the server's checks, by what they concern
error-too-many-files = At most { $max } files can be attached to one comment.
error-not-a-date = “{ $value }” is not a date or time.
error-no-such-user = There is no user { $id }.
error-not-an-agent = User { $id } is not an agent.
error-no-such-status = There is no status { $id }.
error-status-inactive = The status “{ $name }” is no longer in use.
error-status-category = This status does not belong to the status category given.
error-assignee-not-in-group = The assignee is not a member of the chosen group.
error-solve-needs-assignee = A ticket needs an assignee to be solved.
error-no-such-organization = There is no organization { $id }.
error-no-such-group = There is no group { $id }.
error-closed = This ticket is closed and can no longer be changed.
error-delete-status = A ticket is deleted with Delete, not by its status.
error-wrong-type = This value has the wrong form.
error-options-not-allowed = This type of field has no options.
error-too-many-options = At most { $max } options.
error-option-twice = The option value “{ $value }” is given twice.
error-options-needed = This type of field needs at least one option.
error-type-fixed = A field's type cannot change; create a new field instead.
error-key-fixed = A field's key cannot change.
error-required-ticket-only = Only ticket fields can be required to solve.
error-not-a-column = “{ $value }” is not a column.
error-conditions-needed = Add at least one condition.
error-condition-missing-ref = A condition names { $id }, which does not exist.
error-no-such-category = There is no trigger category { $id }.
error-macro-no-conditions = A macro has no conditions: an agent applies it.
error-actions-needed = Add at least one action.
error-automation-nullify = An automation must change something its conditions test (a status, a tag, a field…), or it would run again every hour.
error-default-status-active = A category's default status cannot be deactivated.
error-closed-category = Custom statuses cannot be in the closed category.
error-status-category-fixed = A custom status cannot move to another category.
error-interval-days = A number of days from 0 to 365.
error-token-agents-only = Only agents and administrators can have API tokens.
error-delete-self = You cannot delete yourself.
error-not-an-id = “{ $value }” is not an id.
error-campaign-requester = Each campaign ticket's requester is its customer; it cannot be set.
error-round-robin-assignee = Round robin gives tickets to a group's agents: choose a group, not an assignee.
error-round-robin-group = Round robin needs a group that has agents.
error-no-such-macro = There is no macro { $id }.
error-campaign-state = The campaign cannot do that in its present state.
error-upload-token = An attached file has expired or was already used; attach it again.

## Refusals of conditions and actions (views and business rules)
error-hours-needed = { $field } needs a number of hours, not “{ $value }”.
error-operator-for = { $field } does not take the operator { $operator }; it takes: { $expected }.
error-condition-unsupported = { $field } (hours since a status) is not supported yet; use hours since updated or created.
error-includes-needs-value = { $field } needs at least one word.
error-trigger-only-people = Only triggers can test the requester's or organization's fields ({ $field }).
error-trigger-only-update = “{ $field } { $operator }” describes a ticket update: only triggers can test it.
error-automation-needs-time = An automation needs a time-based condition (hours since created, updated, a status, assigned, requester updated, or until the due date).
error-not-a-people-field = “{ $field }” is not a custom field of people or organizations.
error-not-watchable = Changes to { $field } cannot be watched.
error-action-shape = The action { $field } takes { $shape }.
error-needs-text = Write the comment's text.
error-unknown-action = “{ $field }” is not an action.
error-no-such-webhook = There is no webhook { $id }.

## Choices on the admin pages (a value without a line here shows as itself)
choice-end-user = Customer
choice-agent = Agent
choice-admin = Administrator
choice-en-US = English
choice-pt-BR = Português (Brasil)
choice-ja = 日本語
choice-new = New
choice-open = Open
choice-pending = Pending
choice-hold = On hold
choice-solved = Solved
choice-asc = Ascending
choice-desc = Descending
choice-active = Active
choice-inactive = Inactive
choice-text = Text
choice-textarea = Multi-line text
choice-integer = Whole number
choice-decimal = Decimal number
choice-date = Date
choice-checkbox = Checkbox
choice-tagger = Drop-down
choice-multiselect = Multi-select
choice-regexp = Pattern (regular expression)
error-webhook-endpoint = The endpoint must be a full http:// or https:// address with a host.
error-customers-no-campaigns = Customers cannot run campaigns.
preview-matches = Preview the tickets it matches (without saving)
reply-blank = Write your reply before sending it.
confirm-delete = Delete “{ $name }” for good? This cannot be undone.
first-page = Back to the first page
choice-email = Email
choice-phone_number = Phone
choice-twitter = Twitter / X
choice-facebook = Facebook
choice-google = Google
bad-form = This form arrived incomplete. Go back, reload the page and try again.
macro-not-found = That macro does not exist any more.

## The campaign report's download (CSV and XLSX); the API's downloads use these English lines
report-campaign = campaign
report-tag = tag
report-tickets = tickets
report-solved = solved
report-replied = customers who replied
report-median-first-reply = median time to first reply (seconds)
report-by-status = status { $status }
report-by-custom-status = ticket status { $label }
report-column-ticket = ticket_id
report-column-status = status
report-column-custom-status = custom_status_id
report-column-first-reply = first_reply_seconds

verify-title = Confirm your email address
verify-ask = Confirm that { $email } is yours? Until you do, mail from it is not taken as yours and nothing is sent to it.
verify-button = Confirm this address
verify-done = Thank you: { $email } is confirmed as yours.
verify-link-used = This confirmation link is not valid: it was used already, it has expired, or the address was removed.
mail-verify-subject = Confirm your email address for { $account }
mail-verify-body = Someone added { $email } to an account at { $account }. If it was you, follow this link within three days to confirm the address.
error-support-address-claimed = { $address } is one of this helpdesk's support addresses and cannot belong to a user.
error-identity-unproven = This address is waiting for its owner to follow the link mailed to it.
error-placeholder-too-much-work = The text does too much work to fill in (line { $line }): shorten its loops.
error-placeholder-too-long = The text would be too long once filled in (line { $line }): at most 1 MiB.
rule-problem = { $failures ->
    [one] Could not apply once since it was last saved:
   *[other] Could not apply { $failures } times since it was last saved:
}
rule-problem-off = It was turned off; fix it and save it to turn it on again.
rule-unreadable = This record cannot be read, so it is not used:
error-email-invisible = { $value } has an invisible character (shown as ?) and cannot be an email address.
verify-done-title = Address confirmed
mail-kept-subject = A message to { $account } could not become a ticket
mail-kept-body = A message could not become a ticket. It is kept, and it will be tried again on its own.

    From: { $sender }
    Subject: { $subject }
    Why: { $reason }

    The message as it came: { $link }
    What became of the latest messages: GET /api/v2/inbound_emails
    More messages that fail this hour are kept and tried again the same way, without another mail.
mail-kept-unknown = (unknown)
admin-removed = Removed.
admin-named-lead = These rules and views name it and no longer do all they say. Each is skipped where it cannot apply and flagged when it fails; open each to change it:
choice-trigger = Trigger
choice-automation = Automation
choice-macro = Macro
choice-view = View
