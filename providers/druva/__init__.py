"""Any process: the Druva package: its SCIM endpoint (`client`) and the token as a resource
(`token`)."""
