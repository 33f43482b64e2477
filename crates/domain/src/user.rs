//! Users and their roles.

use crate::wire_enum;

wire_enum!(
    /// What a person may do: end users see their own requests, agents work tickets, admins
    /// also manage the account.
    Role, "role" {
        EndUser => "end-user",
        Agent => "agent",
        Admin => "admin",
    }
);

/// A new person is an end user until made more.
impl Default for Role {
    fn default() -> Self {
        Role::EndUser
    }
}

impl Role {
    /// Agents and admins are staff: they see every ticket and internal notes.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }
}
