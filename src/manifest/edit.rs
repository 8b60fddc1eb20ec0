//! Editing the user's manifest text in place, keeping comments, order and formatting.
