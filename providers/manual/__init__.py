"""Any process: the apps of any other identity provider, whose token is pasted by hand
(OneLogin, JumpCloud, other): their tracked hand-offs and the program's wiring of them."""
